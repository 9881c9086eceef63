package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

func init() {
	register(command{name: "actor create", args: "USERNAME", summary: "create a publishing actor (an organisation) with its keys",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
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
		}})
	register(command{name: "actor update", args: "USERNAME", summary: "change an actor's name, summary, profile fields, avatar or header image",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			name := fs.String("name", "", "new display name")
			summary := fs.String("summary", "", "new summary")
			avatar := fs.String("avatar", "", "image file for the avatar (JPEG, PNG, GIF or WebP)")
			header := fs.String("header", "", "image file for the header")
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
		}})
	register(command{name: "actor list", summary: "list the publishing actors",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				return a.withStore(ctx, func(st *storage.Store) error {
					actors, err := st.ListActors(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "USERNAME\tTYPE\tNAME\tHANDLE")
					for _, ac := range actors {
						fmt.Fprintf(w, "%s\t%s\t%s\t@%s@%s\n", ac.Username, ac.Type, ac.DisplayName, ac.Username, a.cfg.Domain)
					}
					return w.Flush()
				})
			}
		}})
	register(command{name: "user create", args: "NAME", summary: "create an admin or editor account for the admin interface",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			role := fs.String("role", "", "admin or editor (required)")
			pwFile := fs.String("password-file", "", "read the password from this file's first line instead of prompting")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("give exactly one NAME")
				}
				if *role != storage.RoleAdmin && *role != storage.RoleEditor {
					return usagef("--role must be admin or editor")
				}
				if !storage.ValidUsername(args[0]) {
					return usagef("user name %q: use 1 to 30 lower-case letters, digits or _", args[0])
				}
				pw, err := readPassword(a, *pwFile)
				if err != nil {
					return err
				}
				hash, err := storage.HashPassword(pw)
				if err != nil {
					return err
				}
				return a.withStore(ctx, func(st *storage.Store) error {
					u := &storage.User{Username: args[0], PasswordHash: hash, Role: *role}
					if err := st.CreateUser(ctx, u); err != nil {
						if errors.Is(err, storage.ErrConflict) {
							return fmt.Errorf("user %q already exists", args[0])
						}
						return err
					}
					fmt.Fprintf(a.stdout, "created %s %s\n", u.Role, u.Username)
					return nil
				})
			}
		}})
	register(command{name: "publish", args: "FILE.md", summary: "publish a statement from a Markdown file with front matter; prints its URL",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			actor := fs.String("actor", "", "username of the publishing actor (required)")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("give exactly one FILE.md")
				}
				if *actor == "" {
					return usagef("--actor is required")
				}
				d, err := readStatementFile(args[0])
				if err != nil {
					return err
				}
				return a.withStore(ctx, func(st *storage.Store) error {
					fed := a.federation(st)
					s, err := fed.Publish(ctx, *actor, d)
					if err != nil {
						return err
					}
					if s.State != storage.StatePublished {
						fmt.Fprintf(a.stderr, "%s: visible from %s\n", s.State, s.PublishedAt.Format("2006-01-02 15:04 MST"))
					}
					fmt.Fprintln(a.stdout, fed.StatementURL(s))
					return nil
				})
			}
		}})
	register(command{name: "statement list", summary: "list statements (all states) newest first",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			actor := fs.String("actor", "", "only this actor's statements")
			limit := fs.Int("limit", 50, "how many")
			return func(ctx context.Context, a *app, args []string) error {
				return a.withStore(ctx, func(st *storage.Store) error {
					q := storage.StatementQuery{Limit: *limit}
					if *actor != "" {
						ac, err := st.ActorByUsername(ctx, *actor)
						if err != nil {
							return fmt.Errorf("no actor %q", *actor)
						}
						q.ActorID = ac.ID
					}
					list, err := st.ListStatements(ctx, q)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tSTATE\tPUBLISHED\tLANG\tACTOR\tTITLE")
					for _, s := range list {
						when := "-"
						if s.PublishedAt != nil {
							when = s.PublishedAt.Format("2006-01-02 15:04")
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.State, when, s.Language, s.ActorUsername, s.Title)
					}
					return w.Flush()
				})
			}
		}})
	register(command{name: "statement edit", args: "ID FILE.md", summary: "replace a statement's text from a file; followers get an Update if what they see changed",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 2 {
					return usagef("give the statement ID and FILE.md")
				}
				d, err := readStatementFile(args[1])
				if err != nil {
					return err
				}
				return a.withStore(ctx, func(st *storage.Store) error {
					fed := a.federation(st)
					s, err := fed.Edit(ctx, args[0], d)
					if err != nil {
						return err
					}
					fmt.Fprintln(a.stdout, fed.StatementURL(s))
					return nil
				})
			}
		}})
	register(command{name: "statement translate", args: "ID FILE.md", summary: "add (or replace) a translation from a file whose front matter names its language",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 2 {
					return usagef("give the statement ID and FILE.md")
				}
				d, err := readStatementFile(args[1])
				if err != nil {
					return err
				}
				return a.withStore(ctx, func(st *storage.Store) error {
					fed := a.federation(st)
					s, err := fed.Translate(ctx, args[0], d)
					if err != nil {
						return err
					}
					lang, _ := content.NormalizeLanguage(d.Language)
					fmt.Fprintln(a.stdout, fed.IRI().StatementPage(s.ActorUsername, s.Slug, lang))
					return nil
				})
			}
		}})
	register(command{name: "statement delete", args: "ID", summary: "delete a statement (its addresses answer 410 Gone)",
		flags: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("give exactly one statement ID (see 'tadamun statement list')")
				}
				return a.withStore(ctx, func(st *storage.Store) error {
					s, err := a.federation(st).DeleteStatement(ctx, args[0])
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "deleted %s\n", s.ID)
					return nil
				})
			}
		}})
}

// readStatementFile reads a Markdown file with front matter; image paths
// are taken relative to the file.
func readStatementFile(path string) (*content.Draft, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	d, err := content.ParseStatementFile(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, im := range d.Images {
		if !filepath.IsAbs(im.File) {
			d.Images[i].File = filepath.Join(filepath.Dir(path), im.File)
		}
	}
	return d, nil
}

// readPassword reads from --password-file, or prompts twice on a terminal.
func readPassword(a *app, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("cannot read password file: %w", errors.Unwrap(err))
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		// Not a terminal: read one line, so scripts can pipe a password in.
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", usagef("no password: type it at the prompt, pipe it on stdin, or use --password-file")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(a.stderr, "Password: ")
	p1, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(a.stderr, "Again: ")
	p2, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(p1) != string(p2) {
		return "", errors.New("the two passwords differ")
	}
	return string(p1), nil
}
