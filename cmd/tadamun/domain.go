package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
)

// domainArg checks the one DOMAIN argument of a domain command.
func domainArg(args []string) (string, error) {
	if len(args) != 1 {
		return "", usagef("give exactly one DOMAIN, e.g. social.example")
	}
	d, err := federation.NormalizeDomain(args[0])
	if err != nil {
		return "", usagef("%v", err)
	}
	return d, nil
}

// domainSetCmd is "tadamun domain block|silence|allow DOMAIN", setting
// policy (what each does is described in federation/domains.go and the
// README).
func domainSetCmd(policy string) func(*flag.FlagSet) runFunc {
	return func(fs *flag.FlagSet) runFunc {
		reason := fs.String("reason", "", "why, for the record (shown by 'tadamun domain list')")
		return func(ctx context.Context, a *app, args []string) error {
			d, err := domainArg(args)
			if err != nil {
				return err
			}
			return a.withStore(ctx, func(st *storage.Store) error {
				removed, err := a.federation(st).SetDomainPolicy(ctx, d, policy, *reason)
				if err != nil {
					return err
				}
				switch {
				case policy == storage.PolicyBlock && removed == 1:
					fmt.Fprintf(a.stdout, "blocked %s (1 follower removed)\n", d)
				case policy == storage.PolicyBlock:
					fmt.Fprintf(a.stdout, "blocked %s (%d followers removed)\n", d, removed)
				case policy == storage.PolicySilence:
					fmt.Fprintf(a.stdout, "silenced %s\n", d)
				default:
					fmt.Fprintf(a.stdout, "allowed %s\n", d)
				}
				return nil
			})
		}
	}
}

// domainUnblockCmd is "tadamun domain unblock DOMAIN".
func domainUnblockCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		d, err := domainArg(args)
		if err != nil {
			return err
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			if err := a.federation(st).RemoveDomainPolicy(ctx, d); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "removed the policy of %s\n", d)
			return nil
		})
	}
}

// domainListCmd is "tadamun domain list".
func domainListCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			list, err := st.ListDomainPolicies(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "DOMAIN\tPOLICY\tSINCE\tREASON")
			for _, r := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cell(r.Domain), r.Policy, r.CreatedAt.Format("2006-01-02"), cell(r.Reason))
			}
			return w.Flush()
		})
	}
}

// domainModeCmd is "tadamun domain mode [open|allowlist]": shows the
// federation mode, or sets it.
func domainModeCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) > 1 {
			return usagef("give at most one mode: %s or %s", storage.FederationOpen, storage.FederationAllowList)
		}
		if len(args) == 1 && args[0] != storage.FederationOpen && args[0] != storage.FederationAllowList {
			return usagef("unknown mode %q: use %s or %s", args[0], storage.FederationOpen, storage.FederationAllowList)
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			fed := a.federation(st)
			if len(args) == 1 {
				if err := fed.SetFederationMode(ctx, args[0]); err != nil {
					return err
				}
			}
			mode, err := fed.FederationMode(ctx)
			if err != nil {
				return err
			}
			if mode == storage.FederationAllowList {
				fmt.Fprintln(a.stdout, "allowlist: only the domains given 'tadamun domain allow' (and their subdomains) may deliver to or fetch from this node")
			} else {
				fmt.Fprintln(a.stdout, "open: every server that is not blocked may deliver to and fetch from this node")
			}
			return nil
		})
	}
}
