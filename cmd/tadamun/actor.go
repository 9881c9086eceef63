package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
)

// actorCreateCmd is "tadamun actor create USERNAME".
func actorCreateCmd(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "display name, e.g. \"Iraqi Civil Society Solidarity Initiative\"")
	summary := fs.String("summary", "", "short description shown on the profile")
	typ := fs.String("type", "Organization", "Organization, Person, Group or Service")
	langs := fs.String("languages", "", "comma-separated languages it publishes in, e.g. ar,en,ckb")
	approve := fs.Bool("approve-followers", false, "hold follow requests until an editor approves them")
	objType := fs.String("object-type", "Note", "how statements federate: Note (shown in full on Mastodon) or Article (title, summary and link)")
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one USERNAME")
		}
		na := newActor(args[0], *name, *summary, *typ, *langs)
		na.ManuallyApprovesFollowers, na.ObjectType = *approve, *objType
		return a.withStore(ctx, func(st *storage.Store) error {
			fed := a.federation(st)
			actor, err := fed.CreateActor(ctx, na)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "created @%s@%s  %s\n", actor.Username, a.cfg.Domain, fed.IRI().Profile(actor.Username))
			return nil
		})
	}
}

func newActor(username, name, summary, typ, langs string) federation.NewActor {
	na := federation.NewActor{Username: username, DisplayName: name, Summary: summary, Type: typ}
	for _, l := range strings.Split(langs, ",") {
		if l = strings.TrimSpace(l); l != "" {
			na.Languages = append(na.Languages, l)
		}
	}
	return na
}

// actorUpdateCmd is "tadamun actor update USERNAME".
func actorUpdateCmd(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "new display name")
	summary := fs.String("summary", "", "new summary")
	avatar := fs.String("avatar", "", "image file for the avatar (JPEG, PNG, GIF or WebP)")
	header := fs.String("header", "", "image file for the header")
	langs := fs.String("languages", "", "comma-separated languages it publishes in (replaces them), e.g. ar,en,ckb")
	objType := fs.String("object-type", "", "how statements federate: Note or Article")
	approve := fs.Bool("approve-followers", false, "hold follow requests until an editor approves them (=false to stop)")
	var fields []storage.Field
	fs.Func("field", "a profile field as NAME=VALUE (repeat; replaces all fields)", func(v string) error {
		n, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(n) == "" {
			return errors.New("use NAME=VALUE")
		}
		fields = append(fields, storage.Field{Name: strings.TrimSpace(n), Value: strings.TrimSpace(val)})
		return nil
	})
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one USERNAME")
		}
		var u federation.ProfileUpdate
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "name":
				u.DisplayName = name
			case "summary":
				u.Summary = summary
			case "languages":
				l := newActor("", "", "", "", *langs).Languages
				if l == nil {
					l = []string{}
				}
				u.Languages = &l
			case "object-type":
				u.ObjectType = objType
			case "approve-followers":
				u.ManuallyApprovesFollowers = approve
			}
		})
		u.Fields, u.AvatarFile, u.HeaderFile = fields, *avatar, *header
		return a.withStore(ctx, func(st *storage.Store) error {
			actor, err := a.federation(st).UpdateProfile(ctx, args[0], u)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "updated @%s@%s\n", actor.Username, a.cfg.Domain)
			return nil
		})
	}
}

// actorListCmd is "tadamun actor list".
func actorListCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		return a.withStore(ctx, func(st *storage.Store) error {
			actors, err := st.ListActors(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "USERNAME\tTYPE\tNAME\tHANDLE")
			for _, ac := range actors {
				fmt.Fprintf(w, "%s\t%s\t%s\t@%s@%s\n", ac.Username, ac.Type, cell(ac.DisplayName), ac.Username, a.cfg.Domain)
			}
			return w.Flush()
		})
	}
}
