package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

// Commands for federation. They queue activities; the running "serve"
// delivers them (its workers poll the queue every second).

func init() {
	register(command{name: "follow", args: "USERNAME @user@host|URL", summary: "make an actor follow a partner (any ActivityPub account)",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			relay := fs.Bool("relay", false, "boost the partner's posts to our followers")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 2 {
					return usagef("give USERNAME and the partner's @user@host or actor URL")
				}
				return a.withStore(ctx, func(st *storage.Store) error {
					r, err := a.federation(st).Follow(ctx, args[0], args[1], *relay)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "follow sent to %s (%s); it is active once they accept\n", r.Handle(), r.IRI)
					return nil
				})
			}
		}})
	register(command{name: "unfollow", args: "USERNAME @user@host|URL", summary: "stop following a partner",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 2 {
					return usagef("give USERNAME and the partner's @user@host or actor URL")
				}
				return a.withStore(ctx, func(st *storage.Store) error {
					r, err := a.federation(st).Unfollow(ctx, args[0], args[1])
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "unfollowed %s\n", r.Handle())
					return nil
				})
			}
		}})
	register(command{name: "followers list", args: "USERNAME", summary: "list an actor's followers (--pending for requests awaiting approval)",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
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
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.Remote.Handle(), f.State, f.CreatedAt.Format("2006-01-02"), f.Remote.IRI)
					}
					return w.Flush()
				})
			}
		}})
	for _, c := range []struct {
		name, summary string
		accept        bool
		done          string
	}{
		{"approve", "accept a pending follow request", true, "approved"},
		{"reject", "refuse a pending follow request", false, "rejected"},
		{"remove", "remove a follower (their server is told with a Reject)", false, "removed"},
	} {
		register(command{name: "followers " + c.name, args: "USERNAME @user@host|URL", summary: c.summary,
			flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
				return func(ctx context.Context, a *app, args []string) error {
					if len(args) != 2 {
						return usagef("give USERNAME and the follower's @user@host or actor URL")
					}
					return a.withStore(ctx, func(st *storage.Store) error {
						r, err := a.federation(st).AnswerFollower(ctx, args[0], args[1], c.accept)
						if err != nil {
							return err
						}
						fmt.Fprintf(a.stdout, "%s %s\n", c.done, r.Handle())
						return nil
					})
				}
			}})
	}
	register(command{name: "replies list", summary: "list replies from the fediverse (default: awaiting moderation)",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
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
						text := []rune(content.PlainText(r.ContentHTML))
						if len(text) > 60 {
							text = append(text[:60], '…')
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Moderation, r.StatementID, r.Author.Handle(), string(text))
					}
					return w.Flush()
				})
			}
		}})
	for name, state := range map[string]string{"approve": storage.ModerationApproved, "reject": storage.ModerationRejected} {
		register(command{name: "replies " + name, args: "ID", summary: name + " a reply (approved replies are shown under the statement)",
			flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
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
			}})
	}
	for name, kind := range map[string]string{"like": storage.KindLike, "boost": storage.KindAnnounce} {
		register(command{name: name, args: "USERNAME POST_URL", summary: name + " a post on another server as the actor",
			flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
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
			}})
	}
	register(command{name: "deliveries", summary: "show the delivery queue: pending, failing hosts, last errors (--retry HOST|all)",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			retry := fs.String("retry", "", "make failed deliveries to HOST (or 'all') due now")
			return func(ctx context.Context, a *app, args []string) error {
				return a.withStore(ctx, func(st *storage.Store) error {
					if *retry != "" {
						host := *retry
						if host == "all" {
							host = ""
						}
						n, err := st.RetryDeliveries(ctx, host)
						if err != nil {
							return err
						}
						fmt.Fprintf(a.stdout, "%d deliveries due now\n", n)
						return nil
					}
					stats, err := st.DeliveryStats(ctx)
					if err != nil {
						return err
					}
					printDeliveryStats(a, stats)
					return nil
				})
			}
		}})
}

func printDeliveryStats(a *app, st *storage.DeliveryStats) {
	fmt.Fprintf(a.stdout, "pending %d (in flight %d)   delivered %d   failed %d\n", st.Pending, st.Leased, st.Done, st.Failed)
	if st.OldestPending != nil {
		fmt.Fprintf(a.stdout, "oldest pending since %s\n", st.OldestPending.Format("2006-01-02 15:04:05 MST"))
	}
	if len(st.Hosts) == 0 {
		return
	}
	fmt.Fprintln(a.stdout)
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "HOST\tPENDING\tFAILED\tON HOLD SINCE\tLAST ERROR")
	for _, h := range st.Hosts {
		hold := "-"
		if h.UnavailableSince != nil {
			hold = h.UnavailableSince.Format("2006-01-02 15:04")
		}
		last := h.LastError
		if h.LastStatus != 0 {
			last = fmt.Sprintf("%d %s", h.LastStatus, last)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", h.Host, h.Pending, h.Failed, hold, last)
	}
	w.Flush()
}
