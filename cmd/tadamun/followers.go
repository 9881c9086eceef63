package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tadamun/tadamun/storage"
)

// followersListCmd is "tadamun followers list USERNAME".
func followersListCmd(fs *flag.FlagSet) runFunc {
	pending := fs.Bool("pending", false, "only follow requests awaiting approval")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one USERNAME")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			actor, err := st.ActorByUsername(ctx, args[0])
			if err != nil {
				return fmt.Errorf("no actor %q", args[0])
			}
			state := ""
			if *pending {
				state = storage.FollowPending
			}
			list, err := st.ListFollowers(ctx, actor.ID, state, 0, 100000)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "HANDLE\tSTATE\tSINCE\tACTOR")
			for _, f := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cell(f.Remote.Handle()), f.State, f.CreatedAt.Format("2006-01-02"), cell(f.Remote.IRI))
			}
			return w.Flush()
		})
	}
}

// followersAnswerCmd is "tadamun followers approve|reject|remove USERNAME
// @user@host|URL": accept approves a pending follower, otherwise the follow
// is refused or ended; done is the word printed on success.
func followersAnswerCmd(accept bool, done string) func(*flag.FlagSet) runFunc {
	return func(*flag.FlagSet) runFunc {
		return func(ctx context.Context, a *app, args []string) error {
			if len(args) != 2 {
				return usagef("give USERNAME and the follower's @user@host or actor URL")
			}
			return a.withStore(ctx, func(st *storage.Store) error {
				r, err := a.federation(st).AnswerFollower(ctx, args[0], args[1], accept)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s %s\n", done, cell(r.Handle()))
				return nil
			})
		}
	}
}
