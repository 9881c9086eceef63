package main

import (
	"context"

	"github.com/tadamun/tadamun/storage"
)

// runFunc does a command's work with its positional arguments.
type runFunc func(ctx context.Context, a *app, args []string) error

// The command table: every subcommand, its usage line and the named
// function that registers its flags and returns its work.
func init() {
	for _, c := range []command{
		{name: "serve", summary: "run the node: web site, feeds, ActivityPub", serve: true, flags: serveCmd},
		{name: "migrate", summary: "apply pending database migrations and exit", flags: migrateCmd},
		{name: "backup", args: "FILE", summary: "write a consistent copy of the SQLite database to FILE (safe while serving)", flags: backupCmd},
		{name: "media reprocess", summary: "re-encode images stored by older versions, removing their metadata (EXIF, GPS...)", flags: mediaReprocessCmd},

		{name: "actor create", args: "USERNAME", summary: "create a publishing actor (an organisation) with its keys", flags: actorCreateCmd},
		{name: "actor update", args: "USERNAME", summary: "change an actor's name, summary, profile fields, avatar or header image", flags: actorUpdateCmd},
		{name: "actor list", summary: "list the publishing actors", flags: actorListCmd},
		{name: "actor alias", args: "USERNAME [@user@host|URL...]", summary: "show or set the accounts an actor is also known as (needed before one of them moves here)", flags: actorAliasCmd},
		{name: "actor move", args: "USERNAME @user@host|URL", summary: "move an actor to its new account elsewhere: followers are asked to follow it there", flags: actorMoveCmd},
		{name: "user create", args: "NAME", summary: "create an admin or editor account for the admin interface", flags: userCreateCmd},
		{name: "user list", summary: "list the accounts: role, actors, created, disabled", flags: userListCmd},
		{name: "user passwd", args: "NAME", summary: "set an account's password (signs it out everywhere)", flags: userPasswdCmd},
		{name: "user role", args: "NAME admin|editor", summary: "change an account's role (--actors: the actors an editor works on)", flags: userRoleCmd},
		{name: "user sessions", args: "NAME", summary: "list an account's signed-in sessions (--revoke ID|all signs them out)", flags: userSessionsCmd},
		{name: "user delete", args: "NAME", summary: "delete an account and its sessions (never the last admin)", flags: userDeleteCmd},
		{name: "node show", summary: "show the node settings: site name, description, default language", flags: nodeShowCmd},
		{name: "node set", summary: "change the node settings (--name, --description, --language)", flags: nodeSetCmd},

		{name: "publish", args: "FILE.md", summary: "publish a statement from a Markdown file with front matter; prints its URL", flags: publishCmd},
		{name: "import", args: "SOURCE", summary: "import an archive (WordPress export, RSS or Atom feed or file, folder of Markdown) as statements, without delivering them", flags: importCmd},
		{name: "statement list", summary: "list statements (all states) newest first", flags: statementListCmd},
		{name: "statement edit", args: "ID FILE.md", summary: "replace a statement's text from a file; followers get an Update if what they see changed", flags: statementEditCmd},
		{name: "statement translate", args: "ID FILE.md", summary: "add (or replace) a translation from a file whose front matter names its language", flags: statementTranslateCmd},
		{name: "statement delete", args: "ID", summary: "delete a statement (its addresses answer 410 Gone)", flags: statementDeleteCmd},

		{name: "follow", args: "USERNAME @user@host|URL", summary: "make an actor follow a partner (any ActivityPub account)", flags: followCmd},
		{name: "unfollow", args: "USERNAME @user@host|URL", summary: "stop following a partner", flags: unfollowCmd},
		{name: "partner add", args: "USERNAME @user@host|URL", summary: "follow a partner with a relay policy (--relay all|tags|none, --tags)", flags: partnerAddCmd},
		{name: "partner set", args: "USERNAME @user@host|URL", summary: "change what is relayed of a partner (--relay all|tags|none, --tags)", flags: partnerSetCmd},
		{name: "partner list", args: "[USERNAME]", summary: "list the partners with their state and relay policy", flags: partnerListCmd},
		{name: "partner remove", args: "USERNAME @user@host|URL", summary: "stop following a partner and undo its relays", flags: partnerRemoveCmd},
		{name: "partner relay", args: "USERNAME POST_URL", summary: "relay (boost) one partner post by hand", flags: partnerRelayCmd},
		{name: "partner unrelay", args: "USERNAME POST_URL", summary: "stop relaying one partner post (Undo Announce)", flags: partnerUnrelayCmd},
		{name: "followers list", args: "USERNAME", summary: "list an actor's followers (--pending for requests awaiting approval)", flags: followersListCmd},
		{name: "followers approve", args: "USERNAME @user@host|URL", summary: "accept a pending follow request", flags: followersAnswerCmd(true, "approved")},
		{name: "followers reject", args: "USERNAME @user@host|URL", summary: "refuse a pending follow request", flags: followersAnswerCmd(false, "rejected")},
		{name: "followers remove", args: "USERNAME @user@host|URL", summary: "remove a follower (their server is told with a Reject)", flags: followersAnswerCmd(false, "removed")},
		{name: "replies list", summary: "list replies from the fediverse (default: awaiting moderation)", flags: repliesListCmd},
		{name: "replies approve", args: "ID", summary: "approve a reply (approved replies are shown under the statement)", flags: repliesModerateCmd(storage.ModerationApproved)},
		{name: "replies reject", args: "ID", summary: "reject a reply (approved replies are shown under the statement)", flags: repliesModerateCmd(storage.ModerationRejected)},
		{name: "like", args: "USERNAME POST_URL", summary: "like a post on another server as the actor", flags: interactCmd(storage.KindLike)},
		{name: "boost", args: "USERNAME POST_URL", summary: "boost a post on another server as the actor", flags: interactCmd(storage.KindAnnounce)},
		{name: "domain block", args: "DOMAIN", summary: "refuse everything from a server (and its subdomains): its requests get 403, its follows end", flags: domainSetCmd(storage.PolicyBlock)},
		{name: "domain silence", args: "DOMAIN", summary: "take nothing from a server on trust: its follows wait for approval, its replies for moderation", flags: domainSetCmd(storage.PolicySilence)},
		{name: "domain allow", args: "DOMAIN", summary: "allow a server: in the allow-list mode only allowed servers federate; otherwise an exception to a parent domain's block", flags: domainSetCmd(storage.PolicyAllow)},
		{name: "domain unblock", args: "DOMAIN", summary: "remove a domain's block, silence or allow", flags: domainUnblockCmd},
		{name: "domain list", summary: "list the domain policies", flags: domainListCmd},
		{name: "reports list", summary: "list the reports (Flag) received from other servers", flags: reportsListCmd},
		{name: "reports resolve", args: "ID", summary: "mark a report as dealt with", flags: reportsResolveCmd},
		{name: "domain mode", args: "[open|allowlist]", summary: "show or set the federation mode: open, or only the allowed domains (allowlist)", flags: domainModeCmd},
		{name: "account block", args: "@user@host|URL", summary: "refuse one remote account: its requests get 403, its follows end, its pending replies are rejected", flags: accountBlockCmd},
		{name: "account unblock", args: "@user@host|URL", summary: "lift an account's block", flags: accountUnblockCmd},
		{name: "account list", summary: "list the blocked accounts", flags: accountListCmd},
		{name: "deliveries", summary: "show the delivery queue: pending, failing hosts, last errors (--retry HOST|all)", flags: deliveriesCmd},
	} {
		register(c)
	}
}
