a0421
u i BC-Quake-Japan 1stLd-Writethru 12-02 0412
^BC-Quake-Japan,1stLd-Writethru,0412<
^Strong earthquake jolts northern Japan, tsunami warning issued<
^Eds: UPDATES with tsunami warning, details on damage. AP Photo TOK101.<
^By MARI YAMAGUCHI=<
^Associated Press Writer=<
	TOKYO (AP) _ A strong earthquake jolted northern Japan on Wednesday, prompting a tsunami warning for the Pacific coast and halting bullet trains, officials said.
	The Japan Meteorological Agency said the quake had a preliminary magnitude of 6.9 and was centered off the coast of Iwate prefecture at a depth of 10 kilometers.
	There were no immediate reports of serious damage, though public broadcaster NHK showed shelves toppled in a supermarket in the city of Morioka.

AP-NY-12-02-26 0507GMT
