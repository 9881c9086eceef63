package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// Benchmarks of the reader's side, each beside a baseline: echo serving the
// same bytes from memory, in the same run, so the figures can be read as a
// ratio on a noisy machine.

func benchGet(b *testing.B, url string) int64 {
	b.Helper()
	var n int64
	for i := 0; i < b.N; i++ {
		res, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		m, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
		n = m
	}
	return n
}

func BenchmarkStatementPage(b *testing.B) {
	n := newNode(b, storagetest.SQLiteURL(b))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		b.Fatal(err)
	}
	st := n.publish(b, "icssi", "---\ntitle: We Stand Together\nlanguage: en\ntags: [Iraq, تضامن]\n---\n"+seedBody+"\n")
	url := n.srv.URL + "/@icssi/" + st.Slug
	_, page := n.get(b, "/@icssi/"+st.Slug)

	b.Run("tadamun", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(page)))
		benchGet(b, url)
	})
	b.Run("echo-bytes-baseline", func(b *testing.B) {
		e := echo.New()
		body := []byte(page)
		e.GET("/page", func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, body) })
		srv := httptest.NewServer(e)
		defer srv.Close()
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		benchGet(b, srv.URL+"/page")
	})
}

func BenchmarkCachedFeed(b *testing.B) {
	n := newNode(b, storagetest.SQLiteURL(b))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		n.publish(b, "icssi", fmt.Sprintf("---\ntitle: Statement %d\nlanguage: en\ntags: [Iraq]\npublish: 2026-01-%02dT00:00:00Z\n---\n%s\n", i, i%28+1, seedBody))
	}
	_, feed := n.get(b, "/feed.atom") // renders once; later requests hit the cache
	b.Run("tadamun", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(feed)))
		benchGet(b, n.srv.URL+"/feed.atom")
	})
	b.Run("echo-bytes-baseline", func(b *testing.B) {
		e := echo.New()
		body := []byte(feed)
		e.GET("/feed.atom", func(c echo.Context) error { return c.Blob(http.StatusOK, "application/atom+xml", body) })
		srv := httptest.NewServer(e)
		defer srv.Close()
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		benchGet(b, srv.URL+"/feed.atom")
	})
}

// seedBody is a statement of realistic length (ICSSI's 2015 statement is
// about 3,500 characters).
const seedBody = `For more than 12 years of invasion, war, occupation and as yet unsuccessful attempts to rebuild the Iraqi nation – its society, culture and government – Iraqi civil society activists have campaigned for a unified and peaceful Iraq. We, in the Iraqi Civil Society Solidarity Initiative [ICSSI] and members of the international peace and justice community, stand in committed solidarity with these courageous women and men: trade unionists, lawyers, journalists, and human rights defenders.

Your vision of a peaceful society in which diverse peoples live together, a society where there is tolerance and dialogue is most assuredly where hope for the future of Iraq lies. We believe in your vision and are ready to support your work in any way we are able.

The Iraqi Social Forum [ISF] over the last two years has successfully united Iraqi advocates of freedom of expression, women's rights, workers' rights, minority rights, environmental justice, youth empowerment and the struggle to end corruption in efforts to shape a new Iraq.

We know that the situation of the Iraqi people is dire. Untold numbers have lost their lives, their families, and their homes. Thousands have become internally displaced people fleeing violence.

You should not be alone facing these challenges. Social movements, unions and NGOs worldwide want to support you in whatever ways you think are feasible.`
