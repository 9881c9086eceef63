package federation

// The store caches the inbox's combined check of domain policy and account
// block until a policy or a block changes (storage.Store.InboxGate; a
// change made by another process is seen within about 100 ms). Its own writes of a
// policy or a block clear that cache, but inside a transaction they run
// before the change is visible to other connections, so an inbox POST
// arriving in between could read, and keep, the old answer. Each change
// made here therefore clears the cache once more after its transaction has
// committed.

// gateForgetter is a store that caches inbox gate answers
// (*storage.Store).
type gateForgetter interface {
	ForgetInboxGate()
}

// policyChanged clears the store's cached inbox gate answers after a change
// of a domain policy or an account block has committed.
func (s *Service) policyChanged() {
	if f, ok := s.store.(gateForgetter); ok {
		f.ForgetInboxGate()
	}
}
