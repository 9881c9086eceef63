// Package archive reads archives that "tadamun import" brings in: a
// WordPress export (WXR), an RSS 2.0 or Atom feed, or a folder of Markdown
// files with front matter. It only parses: each reader returns the posts
// as they were on the old site (HTML or Markdown, dates, language,
// categories and tags, images, old address, translation group), and
// federation.Import decides what becomes of them.
package archive
