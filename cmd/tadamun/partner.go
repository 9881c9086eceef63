package main

import (
	"context"
	"errors"
	"flag"
)

// The partner commands. Stubs until the relay work lands.

func notYet(context.Context, *app, []string) error { return errors.New("not built yet") }

func partnerAddCmd(*flag.FlagSet) runFunc     { return notYet }
func partnerSetCmd(*flag.FlagSet) runFunc     { return notYet }
func partnerListCmd(*flag.FlagSet) runFunc    { return notYet }
func partnerRemoveCmd(*flag.FlagSet) runFunc  { return notYet }
func partnerRelayCmd(*flag.FlagSet) runFunc   { return notYet }
func partnerUnrelayCmd(*flag.FlagSet) runFunc { return notYet }
