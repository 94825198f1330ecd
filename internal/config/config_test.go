package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.ReminderInactiveAfter != 168*time.Hour || c.AuthIPLimitPerMinute != 60 ||
		c.LoginFailuresPerAccount != 10 || c.ReportsDatabaseURL != c.DatabaseURL || !c.MigrateOnStart ||
		c.RedisURL != "redis://127.0.0.1:6379/0" || c.PublicBaseURL != "http://localhost:8080" || c.SMTPURL != "" {
		t.Fatalf("defaults %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"database url scheme", map[string]string{"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"},
		{"database url garbage", map[string]string{"DATABASE_URL": "::::"}, "DATABASE_URL"},
		{"reports url", map[string]string{"REPORTS_DATABASE_URL": "http://x"}, "REPORTS_DATABASE_URL"},
		{"listen url", map[string]string{"DATABASE_LISTEN_URL": "redis://x"}, "DATABASE_LISTEN_URL"},
		{"redis url", map[string]string{"REDIS_URL": "localhost:6379"}, "REDIS_URL"},
		{"http addr without port", map[string]string{"HTTP_ADDR": "localhost"}, "HTTP_ADDR"},
		{"http addr bad port", map[string]string{"HTTP_ADDR": ":99999"}, "HTTP_ADDR"},
		{"public base url", map[string]string{"PUBLIC_BASE_URL": "ftp://x"}, "PUBLIC_BASE_URL"},
		{"duration", map[string]string{"REMINDER_INACTIVE_AFTER": "7 days"}, "REMINDER_INACTIVE_AFTER"},
		{"negative duration", map[string]string{"ACCESS_TOKEN_TTL": "-1m"}, "ACCESS_TOKEN_TTL"},
		{"integer", map[string]string{"AUTH_IP_LIMIT_PER_MINUTE": "lots"}, "AUTH_IP_LIMIT_PER_MINUTE"},
		{"min cell size below 3", map[string]string{"REPORT_MIN_CELL_SIZE": "2"}, "REPORT_MIN_CELL_SIZE"},
		{"boolean", map[string]string{"MIGRATE_ON_START": "maybe"}, "MIGRATE_ON_START"},
		{"short jwt secret", map[string]string{"JWT_SECRET": "short"}, "JWT_SECRET"},
		{"smtp url", map[string]string{"SMTP_URL": "mail.example.org:25"}, "SMTP_URL"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.vars))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want+":") {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestSecretsAreNotEchoed(t *testing.T) {
	_, err := Load(env(map[string]string{"DATABASE_URL": "mysql://u:s3cr3t-pw@db/x", "JWT_SECRET": "tiny-secret"}))
	if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("err = %v", err)
	}
	_, err = Load(env(map[string]string{"JWT_SECRET": "tiny-secret"}))
	if err == nil || strings.Contains(err.Error(), "tiny-secret") {
		t.Fatalf("err = %v", err)
	}
}
