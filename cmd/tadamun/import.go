package main

import (
	"context"
	"errors"
	"flag"
)

// importCmd is "tadamun import --actor USERNAME SOURCE".
func importCmd(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		return errors.New("import: not built yet")
	}
}
