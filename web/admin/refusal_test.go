package admin_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFederationRefusalsInArabic: what the federation service refuses
// (its own rules, worded in federation) reaches an editor who reads Arabic
// in Arabic, through real admin forms: its data (an address, a statement's
// id, a word typed) in it, a count in the plural form Arabic gives it and
// in Arabic-Indic digits. A refusal whose reason another component once
// worded in English (a domain written as a URL, an unknown language code)
// is as Arabic as the rest. In English the same refusals read as they
// always have.
func TestFederationRefusalsInArabic(t *testing.T) {
	n := adminTestNode(t, "http")
	putRemote(t, n, "https://far.example/users/fan", "far.example", "fan")
	c := n.signedIn(t, adminName, "127.0.0.3")
	res, body := c.postMultipart("/admin/statements", statementForm("publish"), nil)
	published := created(t, res, body)
	if res, _ := c.postForm("/admin/language", url.Values{"lang": {"ar"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose ar = %d", res.StatusCode)
	}
	c.get("/admin/actors/icssi/profile") // the form's CSRF token
	nine := profileTestForm("Changed")
	nine["field_name"] = strings.Split("a b c d e f g h i", " ")
	nine["field_value"] = strings.Split("1 2 3 4 5 6 7 8 9", " ")
	badLang := profileTestForm("Changed")
	badLang["languages"] = []string{"ar, xx-!!"}
	cases := []struct {
		name string
		send func() (*http.Response, string)
		want string // in Arabic
		en   string // the same refusal in English
		// gone are English words of another component (a parser's reason)
		// that the refusal once carried; the Arabic page shows none of them.
		gone []string
	}{
		{"unfollow one not followed", func() (*http.Response, string) {
			return c.postForm("/admin/actors/icssi/following/remove", url.Values{"who": {"fan@far.example"}})
		}, "\u200e@icssi لا يتابع fan@far.example.", "@icssi does not follow fan@far.example.", nil},
		{"unfollow one not known", func() (*http.Response, string) {
			return c.postForm("/admin/actors/icssi/following/remove", url.Values{"who": {"nobody@nowhere.example"}})
		}, "nobody@nowhere.example غير معروف هنا.", "nobody@nowhere.example is not known here.", nil},
		{"a domain policy that is none", func() (*http.Response, string) {
			return c.postForm("/admin/domains", url.Values{"domain": {"bad.example"}, "policy": {"mute"}})
		}, `السياسة "mute": استعمل block (حظر) أو silence (كتم) أو allow (سماح).`,
			`Policy "mute": use block, silence or allow.`, nil},
		{"an avatar that is not an image", func() (*http.Response, string) {
			return c.postMultipart("/admin/actors/icssi/profile", profileTestForm("Changed"),
				map[string][]byte{"avatar": []byte("these are words, not a picture")})
		}, "الصورة الرمزية ليست صورة: استعمل JPEG أو PNG أو GIF أو WebP.",
			"The avatar is not an image: use JPEG, PNG, GIF or WebP.", nil},
		{"too many profile fields", func() (*http.Response, string) {
			return c.postMultipart("/admin/actors/icssi/profile", nine, nil)
		}, "٨ حقول في الملف التعريفي على الأكثر.", "At most 8 profile fields.", nil},
		{"a display name too long", func() (*http.Response, string) {
			return c.postMultipart("/admin/actors/icssi/profile", profileTestForm(strings.Repeat("ن", 101)), nil)
		}, "الاسم المعروض أطول من ١٠٠ حرف.", "The display name has more than 100 characters.", nil},
		{"a published statement made a draft", func() (*http.Response, string) {
			return c.postMultipart("/admin/statements/"+published, statementForm("draft"), nil)
		}, "البيان " + published + " منشور: لا يمكن أن يعود مسودة (احذفه بدلًا من ذلك).",
			"Statement " + published + " is published: it cannot become a draft again (delete it instead).", nil},
		{"a domain written as a URL", func() (*http.Response, string) {
			return c.postForm("/admin/domains", url.Values{"domain": {"https://bad.example/users/bob"}, "policy": {"block"}})
		}, `ليس اسم نطاق: "https://bad.example/users/bob" (اكتب اسم مضيف مثل social.example، دون بروتوكول أو منفذ أو مسار).`,
			`Not a domain name: "https://bad.example/users/bob" (give a host name such as social.example, without scheme, port or path).`,
			[]string{"not a domain name", "give a host name", "without scheme, port or path"}},
		{"an unknown language code", func() (*http.Response, string) {
			return c.postMultipart("/admin/actors/icssi/profile", badLang, nil)
		}, `رمز لغة غير معروف "xx-!!" (استعمل رمز BCP 47 مثل en أو ar أو ckb أو fr).`,
			`Unknown language code "xx-!!" (use a BCP 47 code such as en, ar, ckb, fr).`,
			[]string{"unknown language code", "use a BCP 47 code such as"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := tc.send()
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), tc.want) {
				t.Errorf("= %d, want 400 with %q: %.2500s", res.StatusCode, tc.want, body)
			}
			if got := pageLanguage(body); got != "ar rtl" {
				t.Errorf("the page is marked %q", got)
			}
			page := strings.ToLower(html.UnescapeString(body))
			for _, w := range tc.gone {
				if strings.Contains(page, strings.ToLower(w)) {
					t.Errorf("the Arabic page still says %q: %.2500s", w, body)
				}
			}
		})
	}
	if res, _ := c.postForm("/admin/language", url.Values{"lang": {"en"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose en = %d", res.StatusCode)
	}
	c.get("/admin/actors/icssi/profile")
	for _, tc := range cases {
		t.Run(tc.name+" in English", func(t *testing.T) {
			res, body := tc.send()
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), tc.en) {
				t.Errorf("= %d, want 400 with %q: %.2500s", res.StatusCode, tc.en, body)
			}
		})
	}
}
