package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

// repliesListCmd is "tadamun replies list".
func repliesListCmd(fs *flag.FlagSet) runFunc {
	state := fs.String("state", storage.ModerationPending, "pending, approved, rejected, or all")
	return func(ctx context.Context, a *app, args []string) error {
		return a.withStore(ctx, func(st *storage.Store) error {
			s := *state
			if s == "all" {
				s = ""
			}
			list, err := st.ListReplies(ctx, "", s, 1000)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATE\tSTATEMENT\tAUTHOR\tTEXT")
			for _, r := range list {
				text := []rune(cell(content.PlainText(r.ContentHTML)))
				if len(text) > 60 {
					text = append(text[:60], '…')
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Moderation, r.StatementID, cell(r.Author.Handle()), string(text))
			}
			return w.Flush()
		})
	}
}

// repliesModerateCmd is "tadamun replies approve|reject ID", setting the
// reply's moderation to state.
func repliesModerateCmd(state string) func(*flag.FlagSet) runFunc {
	return func(*flag.FlagSet) runFunc {
		return func(ctx context.Context, a *app, args []string) error {
			if len(args) != 1 {
				return usagef("give exactly one reply ID (see 'tadamun replies list')")
			}
			return a.withStore(ctx, func(st *storage.Store) error {
				if err := st.SetModeration(ctx, args[0], state); err != nil {
					return fmt.Errorf("no reply %s", args[0])
				}
				fmt.Fprintf(a.stdout, "%s %s\n", state, args[0])
				return nil
			})
		}
	}
}
