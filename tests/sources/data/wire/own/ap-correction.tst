a0421
r a BC-Budget-Vote Correction 12-02 0250
^BC-Budget-Vote,Correction,0250<
^House passes spending bill, sending it to the Senate<
^Eds: CORRECTS vote count in 2nd graf to 218-210 sted 281-210.<
^By LISA MASCARO=<
	WASHINGTON (AP) _ The House passed a sweeping spending bill on Tuesday, sending the measure to the Senate ahead of a weekend deadline.
	The vote was 218-210, with two Republicans joining Democrats in opposition.

AP-NY-12-02-26 0215GMT
