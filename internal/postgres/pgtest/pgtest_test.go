package pgtest

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestAdminURLFollowsDatabaseURL(t *testing.T) {
	cases := []struct {
		name, databaseURL, testURL string
		want                       string
	}{
		{"default server", "", "", "postgres://localhost:5432/postgres?connect_timeout=5&sslmode=disable"},
		{"DATABASE_URL's server, role and password", "postgres://app:s3cret@db.local:5442/cybercampus?sslmode=disable", "",
			"postgres://app:s3cret@db.local:5442/postgres?connect_timeout=5&sslmode=disable"},
		{"TEST_DATABASE_URL wins", "postgres://app@h:1/cybercampus", "postgres://admin@h:2/postgres?connect_timeout=9",
			"postgres://admin@h:2/postgres?connect_timeout=9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", c.databaseURL)
			t.Setenv("TEST_DATABASE_URL", c.testURL)
			got, err := url.Parse(AdminURL())
			if err != nil {
				t.Fatal(err)
			}
			want, _ := url.Parse(c.want)
			if got.String() != want.String() {
				t.Fatalf("AdminURL() = %s, want %s", got, want)
			}
		})
	}
}

func TestRedisOptionsFollowRedisURL(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://:pw@10.1.2.3:6390/0")
	o := RedisOptions(12)
	if o.Addr != "10.1.2.3:6390" || o.Password != "pw" || o.DB != 12 {
		t.Fatalf("RedisOptions(12) = %s %q db %d, want 10.1.2.3:6390 \"pw\" db 12", o.Addr, o.Password, o.DB)
	}
}

// testRedisDB is this package's own Redis database.
const testRedisDB = 15

// TestClaimRedisLeavesOthersDataAlone proves the tests never use or empty a
// Redis database holding keys they did not write.
func TestClaimRedisLeavesOthersDataAlone(t *testing.T) {
	ctx := context.Background()
	if err := FlushRedis(testRedisDB); err != nil {
		t.Fatalf("an empty or own database must be claimable: %v", err)
	}
	rdb := redis.NewClient(RedisOptions(testRedisDB))
	defer rdb.Close()
	if n, err := rdb.DBSize(ctx).Result(); err != nil || n != 1 {
		t.Fatalf("after FlushRedis the database holds %d keys (%v), want only the owner mark", n, err)
	}
	if err := rdb.Set(ctx, "queue:item", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := ClaimRedis(testRedisDB); err != nil {
		t.Fatalf("a marked database with the tests' own keys must stay claimable: %v", err)
	}

	// Someone else's database: keys, no mark.
	if err := rdb.Del(ctx, redisOwnerKey).Err(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(int) error{ClaimRedis, FlushRedis} {
		err := f(testRedisDB)
		if err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
			t.Fatalf("claiming a foreign database: err = %v, want a refusal naming REDIS_URL", err)
		}
		if v, err := rdb.Get(ctx, "queue:item").Result(); err != nil || v != "x" {
			t.Fatalf("foreign key after a refused claim = %q, %v; want it untouched", v, err)
		}
	}
	if err := rdb.Del(ctx, "queue:item").Err(); err != nil {
		t.Fatal(err)
	}
	if err := ClaimRedis(testRedisDB); err != nil {
		t.Fatalf("an empty database must be claimable: %v", err)
	}
}
