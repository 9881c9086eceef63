package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/tadamun/tadamun/storage"
)

// The move commands: an actor's aliases (the accounts it may move here
// from) and its move to a new account elsewhere. They queue activities;
// the running "serve" delivers them.

// actorAliasCmd is "tadamun actor alias USERNAME [WHO...] [--clear]".
func actorAliasCmd(fs *flag.FlagSet) runFunc {
	clearAll := fs.Bool("clear", false, "remove every alias")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) == 0 {
			return usagef("give USERNAME, then the old accounts (@user@host or actor URL) to set, or none to show them")
		}
		if *clearAll && len(args) > 1 {
			return usagef("--clear takes no accounts")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			if len(args) == 1 && !*clearAll {
				actor, err := st.ActorByUsername(ctx, args[0])
				if errors.Is(err, storage.ErrNotFound) || (err == nil && actor.IsInstance) {
					return fmt.Errorf("no actor %q", args[0])
				}
				if err != nil {
					return err
				}
				printAliases(a, actor)
				return nil
			}
			actor, err := a.federation(st).SetAliases(ctx, args[0], args[1:])
			if err != nil {
				return err
			}
			printAliases(a, actor)
			if len(actor.AlsoKnownAs) > 0 && actor.ManuallyApprovesFollowers {
				fmt.Fprintf(a.stdout, "note: @%s approves followers by hand, so followers moving in wait for approval "+
					"(tadamun followers list %s --pending); to take them at once, run tadamun actor update %s "+
					"--approve-followers=false during the move\n", actor.Username, actor.Username, actor.Username)
			}
			return nil
		})
	}
}

func printAliases(a *app, actor *storage.Actor) {
	if len(actor.AlsoKnownAs) == 0 {
		fmt.Fprintf(a.stdout, "@%s has no aliases\n", actor.Username)
	}
	for _, al := range actor.AlsoKnownAs {
		fmt.Fprintf(a.stdout, "also known as %s\n", cell(al))
	}
	if actor.MovedTo != "" {
		fmt.Fprintf(a.stdout, "moved to %s\n", cell(actor.MovedTo))
	}
}

// actorMoveCmd is "tadamun actor move USERNAME WHO".
func actorMoveCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef("give USERNAME and the new account's @user@host or actor URL")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			r, err := a.federation(st).MoveActor(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "@%s moved to %s (%s); its followers are asked to follow it there\n",
				args[0], cell(r.Handle()), cell(r.IRI))
			if r.ManuallyApproves {
				fmt.Fprintf(a.stdout, "note: %s approves followers by hand: the followers arriving there wait for its approval\n",
					cell(r.Handle()))
			}
			return nil
		})
	}
}
