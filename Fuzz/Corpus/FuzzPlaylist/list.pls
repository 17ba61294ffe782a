[playlist]
File1=one.mp3
Title1=One
Length1=200
file2 = two.mp3
Files=3
NumberOfEntries=2
Version=2
