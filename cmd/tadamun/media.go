package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/tadamun/tadamun/storage"
)

// mediaReprocessCmd is "tadamun media reprocess": after an upgrade from a
// version that published images as they were given, it re-encodes the
// stored ones so that their metadata (GPS position, camera serial number,
// names) is no longer served.
func mediaReprocessCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 0 {
			return usagef("media reprocess takes no arguments")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			res, err := a.federation(st).ReprocessMedia(ctx)
			if err != nil {
				return err
			}
			for _, f := range res.Failed {
				fmt.Fprintf(a.stderr, "not re-encoded: %s\n", f)
			}
			fmt.Fprintf(a.stdout, "re-encoded %d images\n", res.Processed)
			if len(res.Failed) > 0 {
				return fmt.Errorf("%d images could not be re-encoded", len(res.Failed))
			}
			return nil
		})
	}
}
