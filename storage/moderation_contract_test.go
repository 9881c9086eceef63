package storage_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestModerationContract: an actor's replies are only those to its own
// statements; reports list with their reporter, resolve once; the next
// attempt of a host's queue; on both databases.
func TestModerationContract(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, string)
	}{{"replies", testActorReplies}, {"reports", testReports}, {"next attempt", testNextAttempt}} {
		for _, b := range storagetest.Backends(t) {
			t.Run(b.Name+"/"+tc.name, func(t *testing.T) { tc.fn(t, b.URL) })
		}
	}
}

func testActorReplies(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a, other := newActor(t, s, "icssi"), newActor(t, s, "other")
	mine := newStatement(t, s, a.ID, "mine", "en", at("2026-01-01T00:00:00Z"), storage.StatePublished)
	theirs := newStatement(t, s, other.ID, "theirs", "en", at("2026-01-01T00:00:00Z"), storage.StatePublished)
	r := newRemote(t, s, "https://far.example/users/r", "far.example", "r")
	put := func(iri, statementID, moderation string) *storage.RemoteObject {
		o := &storage.RemoteObject{IRI: iri, RemoteActorID: r.ID, Type: "Note", StatementID: statementID,
			ContentHTML: "<p>" + iri + "</p>", Moderation: moderation}
		if err := s.UpsertRemoteObject(ctx, o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	p1 := put("https://far.example/1", mine.ID, storage.ModerationPending)
	p2 := put("https://far.example/2", mine.ID, storage.ModerationApproved)
	put("https://far.example/3", theirs.ID, storage.ModerationPending)
	partner := put("https://far.example/4", "", storage.ModerationNone)
	iris := func(list []*storage.RemoteObject) []string {
		var out []string
		for _, o := range list {
			out = append(out, o.IRI)
		}
		return out
	}
	for _, tc := range []struct {
		state string
		want  []string
	}{
		{"", []string{p1.IRI, p2.IRI}},
		{storage.ModerationPending, []string{p1.IRI}},
		{storage.ModerationRejected, nil},
	} {
		list, err := s.ListActorReplies(ctx, a.ID, tc.state, 50)
		if err != nil {
			t.Fatal(err)
		}
		if got := iris(list); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("ListActorReplies(%q) = %v, want %v", tc.state, got, tc.want)
		}
		for _, o := range list {
			if o.Author == nil || o.Author.IRI != r.IRI {
				t.Errorf("reply %s without its author: %+v", o.IRI, o.Author)
			}
		}
	}
	got, err := s.ReplyByID(ctx, p1.ID)
	if err != nil || got.StatementID != mine.ID || got.Author.Handle() != "@r@far.example" {
		t.Fatalf("ReplyByID = %+v, %v", got, err)
	}
	if _, err := s.ReplyByID(ctx, partner.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a partner's post is a reply: %v", err)
	}
	if _, err := s.ReplyByID(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ReplyByID(unknown) = %v", err)
	}
}

func testReports(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	r := newRemote(t, s, "https://far.example/users/r", "far.example", "r")
	gone := newRemote(t, s, "https://gone.example/users/g", "gone.example", "g")
	first := &storage.Report{ActivityIRI: "https://far.example/flag/1", RemoteActorID: r.ID, ActorID: a.ID,
		Content: "spam, لا", ObjectIRIs: []string{"https://node.test/users/icssi"}}
	second := &storage.Report{ActivityIRI: "https://gone.example/flag/2", RemoteActorID: gone.ID}
	for _, p := range []*storage.Report{first, second} {
		if err := s.CreateReport(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ForgetRemoteActor(ctx, gone.IRI); err != nil {
		t.Fatal(err)
	}
	open, err := s.ListReports(ctx, false, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[1].ID != first.ID {
		t.Fatalf("open reports = %+v", open)
	}
	if f := open[1]; f.Reporter == nil || f.Reporter.Handle() != "@r@far.example" || f.Content != first.Content ||
		f.ActorID != a.ID || len(f.ObjectIRIs) != 1 || f.ObjectIRIs[0] != first.ObjectIRIs[0] || f.ResolvedAt != nil {
		t.Errorf("first report = %+v (reporter %+v)", f, f.Reporter)
	}
	if open[0].Reporter != nil || open[0].RemoteActorID != "" {
		t.Errorf("a forgotten reporter is still there: %+v", open[0].Reporter)
	}
	if err := s.ResolveReport(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolveReport(ctx, first.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("resolving twice = %v", err)
	}
	if err := s.ResolveReport(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("resolving an unknown report = %v", err)
	}
	if n, err := s.CountReports(ctx); err != nil || n != 1 {
		t.Errorf("CountReports = %d, %v", n, err)
	}
	done, err := s.ListReports(ctx, true, 50)
	if err != nil || len(done) != 1 || done[0].ID != first.ID || done[0].ResolvedAt == nil {
		t.Errorf("resolved reports = %+v, %v", done, err)
	}
	got, err := s.ReportByID(ctx, second.ID)
	if err != nil || got.ActivityIRI != second.ActivityIRI {
		t.Errorf("ReportByID = %+v, %v", got, err)
	}
	if _, err := s.ReportByID(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ReportByID(unknown) = %v", err)
	}
}

func testNextAttempt(t *testing.T, url string) {
	f := newQueueFixture(t, url)
	if _, err := f.s.NextAttempt(ctx, "far.example"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("NextAttempt with nothing queued = %v", err)
	}
	f.enqueue(t, f.act, "https://far.example/inbox")
	next, err := f.s.NextAttempt(ctx, "far.example")
	if err != nil || next.IsZero() {
		t.Fatalf("NextAttempt = %v, %v", next, err)
	}
	if _, err := f.s.NextAttempt(ctx, "near.example"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("NextAttempt of another host = %v", err)
	}
}

// TestAccountBlocksContract: a block is recorded once (its reason
// replaced), found, listed and lifted; lifting an absent one is
// ErrNotFound; a blocked author's pending replies are rejected, no one
// else's; on both databases.
func TestAccountBlocksContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := storagetest.Open(t, b.URL)
			a := newActor(t, s, "icssi")
			mine := newStatement(t, s, a.ID, "mine", "en", at("2026-01-01T00:00:00Z"), storage.StatePublished)
			bad := newRemote(t, s, "https://far.example/users/bad", "far.example", "bad")
			good := newRemote(t, s, "https://far.example/users/good", "far.example", "good")
			for i, tc := range []struct {
				r     *storage.RemoteActor
				state string
			}{{bad, storage.ModerationPending}, {bad, storage.ModerationApproved}, {good, storage.ModerationPending}} {
				o := &storage.RemoteObject{IRI: fmt.Sprintf("https://far.example/n/%d", i), RemoteActorID: tc.r.ID, Type: "Note",
					StatementID: mine.ID, Moderation: tc.state}
				if err := s.UpsertRemoteObject(ctx, o); err != nil {
					t.Fatal(err)
				}
			}
			if ok, err := s.AccountBlocked(ctx, bad.IRI); err != nil || ok {
				t.Fatalf("blocked before any block: %v %v", ok, err)
			}
			for _, reason := range []string{"spam", "abuse"} {
				if err := s.BlockAccount(ctx, bad.IRI, reason); err != nil {
					t.Fatal(err)
				}
			}
			list, err := s.ListAccountBlocks(ctx)
			if err != nil || len(list) != 1 || list[0].ActorIRI != bad.IRI || list[0].Reason != "abuse" || list[0].CreatedAt.IsZero() {
				t.Fatalf("ListAccountBlocks = %+v %v", list, err)
			}
			if ok, err := s.AccountBlocked(ctx, bad.IRI); err != nil || !ok {
				t.Errorf("AccountBlocked = %v %v", ok, err)
			}
			if ok, err := s.AccountBlocked(ctx, good.IRI); err != nil || ok {
				t.Errorf("another account is blocked: %v %v", ok, err)
			}
			if n, err := s.RejectPendingRepliesBy(ctx, bad.ID); err != nil || n != 1 {
				t.Errorf("RejectPendingRepliesBy = %d %v", n, err)
			}
			if l, err := s.ListActorReplies(ctx, a.ID, storage.ModerationPending, 10); err != nil || len(l) != 1 || l[0].RemoteActorID != good.ID {
				t.Errorf("pending after rejecting bad's: %+v %v", l, err)
			}
			if err := s.UnblockAccount(ctx, bad.IRI); err != nil {
				t.Fatal(err)
			}
			if err := s.UnblockAccount(ctx, bad.IRI); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("unblocking twice = %v", err)
			}
		})
	}
}
