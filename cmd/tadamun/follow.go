package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/tadamun/tadamun/storage"
)

// Commands for federation. They queue activities; the running "serve"
// delivers them (its workers poll the queue every second).

// followCmd is "tadamun follow USERNAME @user@host|URL".
func followCmd(fs *flag.FlagSet) runFunc {
	relay := fs.Bool("relay", false, "relay (boost) every public post of the partner's own to our followers")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef("give USERNAME and the partner's @user@host or actor URL")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			policy := storage.RelayPolicy{Mode: storage.RelayNone}
			if *relay {
				policy.Mode = storage.RelayAll
			}
			r, err := a.federation(st).Follow(ctx, args[0], args[1], policy)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "follow sent to %s (%s); it is active once they accept\n", cell(r.Handle()), cell(r.IRI))
			return nil
		})
	}
}

// unfollowCmd is "tadamun unfollow USERNAME @user@host|URL".
func unfollowCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef("give USERNAME and the partner's @user@host or actor URL")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			r, err := a.federation(st).Unfollow(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "unfollowed %s\n", cell(r.Handle()))
			return nil
		})
	}
}

// interactCmd is "tadamun like" or "tadamun boost" (kind storage.KindLike
// or storage.KindAnnounce) USERNAME POST_URL.
func interactCmd(kind string) func(*flag.FlagSet) runFunc {
	return func(*flag.FlagSet) runFunc {
		return func(ctx context.Context, a *app, args []string) error {
			if len(args) != 2 {
				return usagef("give USERNAME and the post's URL")
			}
			return a.withStore(ctx, func(st *storage.Store) error {
				id, err := a.federation(st).Interact(ctx, args[0], kind, args[1])
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, id)
				return nil
			})
		}
	}
}
