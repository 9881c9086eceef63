package main

import "flag"

// The move commands. Stubs until the move work lands.

func actorAliasCmd(*flag.FlagSet) runFunc { return notYet }
func actorMoveCmd(*flag.FlagSet) runFunc  { return notYet }
