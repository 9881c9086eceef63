package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tadamun/tadamun/storage"
)

// accountBlockCmd is "tadamun account block @user@host|URL [--reason]".
func accountBlockCmd(fs *flag.FlagSet) runFunc {
	reason := fs.String("reason", "", "why, for the record (shown by 'tadamun account list')")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one account: @user@host (known here) or its actor URL")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			iri, err := a.federation(st).BlockAccount(ctx, args[0], *reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "blocked %s\n", cell(iri))
			return nil
		})
	}
}

// accountUnblockCmd is "tadamun account unblock @user@host|URL".
func accountUnblockCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one account: @user@host or its actor URL")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			iri, err := a.federation(st).UnblockAccount(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "unblocked %s\n", cell(iri))
			return nil
		})
	}
}

// accountListCmd is "tadamun account list": the blocked accounts.
func accountListCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			list, err := st.ListAccountBlocks(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ACCOUNT\tSINCE\tREASON")
			for _, b := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\n", cell(b.ActorIRI), b.CreatedAt.Format("2006-01-02"), cell(b.Reason))
			}
			return w.Flush()
		})
	}
}
