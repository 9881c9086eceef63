package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tadamun/tadamun/storage"
)

// reportsListCmd is "tadamun reports list [--resolved]": the reports (Flag
// activities) received, newest first, as the admin interface's Reports page
// shows them.
func reportsListCmd(fs *flag.FlagSet) runFunc {
	resolved := fs.Bool("resolved", false, "list the resolved reports instead of the open ones")
	limit := fs.Int("limit", 500, "at most this many")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		if *limit < 1 {
			return usagef("--limit must be at least 1")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			list, err := st.ListReports(ctx, *resolved, *limit)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tRECEIVED\tFROM\tOBJECTS\tCOMMENT")
			for _, r := range list {
				from := ""
				if r.Reporter != nil {
					from = r.Reporter.Handle()
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.CreatedAt.Format("2006-01-02 15:04"), cell(from),
					cell(strings.Join(r.ObjectIRIs, " ")), cell(r.Content))
			}
			return w.Flush()
		})
	}
}

// reportsResolveCmd is "tadamun reports resolve ID".
func reportsResolveCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give the report's ID (tadamun reports list)")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			if err := st.ResolveReport(ctx, args[0]); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return fmt.Errorf("no open report %q", args[0])
				}
				return err
			}
			fmt.Fprintf(a.stdout, "resolved %s\n", args[0])
			return nil
		})
	}
}
