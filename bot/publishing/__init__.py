"""Publishing: where step 5 puts the information. The built-in public DIP site (default) or a
manual record of an address on an external site; both behind one interface."""
