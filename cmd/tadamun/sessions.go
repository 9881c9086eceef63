package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tadamun/tadamun/storage"
)

// userSessionsCmd is "tadamun user sessions NAME [--revoke ID|all]": the
// account's signed-in browsers, as the admin interface's account page
// lists them, and signing them out.
func userSessionsCmd(fs *flag.FlagSet) runFunc {
	revoke := fs.String("revoke", "", "sign out the session with this ID, or all of them")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one NAME")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			u, err := st.UserByUsername(ctx, args[0])
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("no user %q", args[0])
			}
			if err != nil {
				return err
			}
			switch *revoke {
			case "":
				return printSessions(ctx, a, st, u)
			case "all":
				n, err := st.RevokeSessions(ctx, u.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "signed out %d session(s) of %s\n", n, u.Username)
				return nil
			default:
				err := st.RevokeSession(ctx, u.ID, *revoke)
				if errors.Is(err, storage.ErrNotFound) {
					return fmt.Errorf("%s has no session %q (see 'tadamun user sessions %s')", u.Username, *revoke, u.Username)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "signed out session %s of %s\n", *revoke, u.Username)
				return nil
			}
		})
	}
}

// printSessions lists the user's unexpired sessions. The user agent is
// whatever a browser sent, so it is cleaned like remote text.
func printSessions(ctx context.Context, a *app, st *storage.Store, u *storage.User) error {
	list, err := st.ListSessions(ctx, u.ID)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tCREATED\tLAST SEEN\tUSER AGENT")
	for _, s := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.ID, s.CreatedAt.UTC().Format("2006-01-02 15:04"),
			s.LastSeenAt.UTC().Format("2006-01-02 15:04"), cell(s.UserAgent))
	}
	return w.Flush()
}
