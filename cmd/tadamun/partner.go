package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
)

// The partner commands: follow partners with a relay policy, change it,
// list and remove partners, relay or unrelay one post by hand. They queue
// activities; the running "serve" delivers them.

// policyFlags registers --relay and --tags and returns a reader of the
// policy they give.
func policyFlags(fs *flag.FlagSet) func() (storage.RelayPolicy, error) {
	mode := fs.String("relay", storage.RelayNone, "what to relay (Announce) to our followers: all, tags (only posts with one of --tags) or none (show only)")
	tags := fs.String("tags", "", `hashtags to relay with --relay tags, separated by commas, e.g. "#Iraq, حقوق_الإنسان"`)
	return func() (storage.RelayPolicy, error) {
		return readPolicy(*mode, *tags)
	}
}

// readPolicy checks a relay mode and its hashtags as given on the command
// line; every mistake is a usage error.
func readPolicy(mode, tags string) (storage.RelayPolicy, error) {
	mode = strings.ToLower(strings.TrimSpace(mode))
	if !storage.ValidRelayMode(mode) {
		return storage.RelayPolicy{}, usagef("--relay %q: use %s, %s or %s", mode, storage.RelayAll, storage.RelayTags, storage.RelayNone)
	}
	p := storage.RelayPolicy{Mode: mode}
	switch {
	case mode == storage.RelayTags && strings.TrimSpace(tags) == "":
		return p, usagef("--relay tags needs --tags, e.g. --tags \"#Iraq, حقوق_الإنسان\"")
	case mode != storage.RelayTags && strings.TrimSpace(tags) != "":
		return p, usagef("--tags goes with --relay tags")
	case mode == storage.RelayTags:
		t, err := federation.ParseRelayTags(tags)
		if err != nil {
			return p, usagef("--tags: %v", cleanError(err))
		}
		p.Tags = t
	}
	return p, nil
}

// describePolicy is a relay policy as the commands print it.
func describePolicy(p storage.RelayPolicy) string {
	if p.Mode == storage.RelayTags {
		return p.Mode + " " + hashtags(p.Tags)
	}
	return p.Mode
}

func hashtags(tags []string) string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = "#" + t
	}
	return strings.Join(out, ",")
}

const partnerArgs = "give USERNAME and the partner's @user@host or actor URL"

// partnerAddCmd is "tadamun partner add USERNAME WHO [--relay all|tags|none] [--tags ...]".
func partnerAddCmd(fs *flag.FlagSet) runFunc {
	policy := policyFlags(fs)
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef(partnerArgs)
		}
		p, err := policy()
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			r, err := a.federation(st).Follow(ctx, args[0], args[1], p)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "follow sent to %s (%s), relay %s; it is active once they accept\n",
				cell(r.Handle()), cell(r.IRI), cell(describePolicy(p)))
			return nil
		})
	}
}

// partnerSetCmd is "tadamun partner set USERNAME WHO --relay all|tags|none [--tags ...]".
func partnerSetCmd(fs *flag.FlagSet) runFunc {
	policy := policyFlags(fs)
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef(partnerArgs)
		}
		p, err := policy()
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			r, err := a.federation(st).SetPartnerPolicy(ctx, args[0], args[1], p)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: relay %s (for posts from now on)\n", cell(r.Handle()), cell(describePolicy(p)))
			return nil
		})
	}
}

// partnerListCmd is "tadamun partner list [USERNAME]".
func partnerListCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) > 1 {
			return usagef("give at most one USERNAME")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			actors, err := st.ListActors(ctx)
			if err != nil {
				return err
			}
			names := map[string]string{}
			actorID := ""
			for _, ac := range actors {
				names[ac.ID] = ac.Username
				if len(args) == 1 && ac.Username == args[0] && !ac.IsInstance {
					actorID = ac.ID
				}
			}
			if len(args) == 1 && actorID == "" {
				return fmt.Errorf("no actor %q", args[0])
			}
			list, err := st.ListFollowing(ctx, actorID, 0, 100000)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ACTOR\tPARTNER\tSTATE\tRELAY\tTAGS")
			for _, f := range list {
				tags := hashtags(f.Relay.Tags)
				if tags == "" {
					tags = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", names[f.ActorID], cell(f.Remote.Handle()), f.State, f.Relay.Mode, cell(tags))
			}
			return w.Flush()
		})
	}
}

// partnerRemoveCmd is "tadamun partner remove USERNAME WHO".
func partnerRemoveCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef(partnerArgs)
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			r, err := a.federation(st).RemovePartner(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "unfollowed %s; its relayed posts are undone\n", cell(r.Handle()))
			return nil
		})
	}
}

// partnerRelayCmd is "tadamun partner relay USERNAME POST_URL".
func partnerRelayCmd(*flag.FlagSet) runFunc {
	return relayByHand((*federation.Service).RelayPost, "relayed %s\n")
}

// partnerUnrelayCmd is "tadamun partner unrelay USERNAME POST_URL".
func partnerUnrelayCmd(*flag.FlagSet) runFunc {
	return relayByHand((*federation.Service).UnrelayPost, "relay of %s undone\n")
}

// relayByHand runs one of the by-hand relay calls on a partner post given
// by its id or web address, and says what was done.
func relayByHand(do func(*federation.Service, context.Context, string, string) error, done string) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 2 {
			return usagef("give USERNAME and the partner post's URL (its id or web address)")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			if err := do(a.federation(st), ctx, args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, done, cell(args[1]))
			return nil
		})
	}
}
