package learners_test

import (
	"testing"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// learningDB is the package's migrated test database.
var learningDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "learners", &learningDB) }
