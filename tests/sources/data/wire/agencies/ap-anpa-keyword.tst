W9001asian
f l BC-LT--Harbor-Lights     11-13 0950
^BC-LT--Harbor Lights,412<
^Old lighthouse keeps its lamp lit for one last winter <
^AP Photo XNP201, XNP202<
^Eds: With AP Photos.<
^By JANE EXAMPLE=
^Associated Press=
	   PORTO, Portugal (AP) _ The old lighthouse at the mouth of the river will keep its lamp lit for one more winter, the harbor authority said on Wednesday, after fishermen asked for more time to get used to the new beacons.
	   The authority had planned to switch the lamp off this month.
	   ___
	   APTN contributor John Example in Porto helped with this story.
AP-WF-11-13-24 1509GMT<
