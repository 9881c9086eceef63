package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/tadamun/tadamun/storage"
)

// nodeShowCmd is "tadamun node show".
func nodeShowCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 0 {
			return usagef("node show takes no arguments")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			n, err := st.NodeSettings(ctx)
			if err != nil {
				return err
			}
			show := func(v, unset string) string {
				if v == "" {
					return unset
				}
				return cell(v)
			}
			fmt.Fprintf(a.stdout, "name:        %s\n", show(n.Name, "(unset: the domain, "+a.cfg.Domain+")"))
			fmt.Fprintf(a.stdout, "description: %s\n", show(n.Description, "(unset)"))
			fmt.Fprintf(a.stdout, "language:    %s\n", show(n.Language, "(unset: en)"))
			return nil
		})
	}
}

// nodeSetCmd is "tadamun node set --name ... --description ... --language ...".
// Only the flags given change; an empty value unsets that setting.
func nodeSetCmd(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "the site's name, shown instead of the domain (empty: unset)")
	desc := fs.String("description", "", "one or two sentences about the site, for the home page and NodeInfo (empty: unset)")
	lang := fs.String("language", "", "the node's default language, e.g. ar, en, ckb (empty: unset)")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 0 {
			return usagef("node set takes only flags: --name, --description, --language")
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["name"] && !set["description"] && !set["language"] {
			return usagef("give at least one of --name, --description, --language")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			return st.Tx(ctx, func(tx *storage.Store) error {
				n, err := tx.NodeSettings(ctx)
				if err != nil {
					return err
				}
				if set["name"] {
					n.Name = strings.TrimSpace(*name)
				}
				if set["description"] {
					n.Description = strings.TrimSpace(*desc)
				}
				if set["language"] {
					n.Language = strings.TrimSpace(*lang)
				}
				if err := n.Validate(); err != nil {
					return usagef("%v", err)
				}
				if err := tx.SetNodeSettings(ctx, n); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "node settings saved (running servers show them within a few seconds)")
				return nil
			})
		})
	}
}
