package migrations

import "testing"

func TestDialectsAgree(t *testing.T) {
	pg, err := For(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := For(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) == 0 || len(pg) != len(lite) {
		t.Fatalf("postgres has %d migrations, sqlite %d: every change must exist for both", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].Name != lite[i].Name {
			t.Errorf("migration %d is %s for postgres but %s for sqlite", i+1, pg[i].Name, lite[i].Name)
		}
	}
	if _, err := For("mysql"); err == nil {
		t.Error("unknown dialect accepted")
	}
}
