a0421
b a BC-Budget-Vote Kill 12-02 0060
^BC-Budget-Vote,Kill,0060<
^KILL: House passes spending bill<
^Eds: The Associated Press has withdrawn the story. It incorrectly reported that the bill had passed. A substitute story will be sent.<
	The story is eliminated. Make certain it is not published.

AP-NY-12-02-26 0240GMT
