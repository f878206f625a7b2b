a0421
f i BC-Quake-Japan 12-02 0030
^BC-Quake-Japan,0030<
^FLASH<
^Strong earthquake hits northern Japan<
	TOKYO (AP) _ A strong earthquake struck northern Japan on Wednesday, the Japan Meteorological Agency said.

AP-NY-12-02-26 0412GMT
