W9002asian
b a BC-US--APNewsAlert     11-13 0358
^BC-US--APNewsAlert,17<
	   DENVER (AP) _ City council votes to rename main square after local teacher.
AP-WF-11-13-24 2350GMT<
