// Package config reads CyberCampus configuration from the environment and
// validates it before anything starts.
package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole runtime configuration. Every field has a default that
// works on a developer's machine.
type Config struct {
	DatabaseURL        string
	ReportsDatabaseURL string
	ListenDatabaseURL  string // a direct session for LISTEN (not PgBouncer in transaction mode)
	RedisURL           string
	HTTPAddr           string
	PublicBaseURL      string
	MigrateOnStart     bool
	LogLevel           string

	DBMaxOpenConns    int
	DBMaxIdleConns    int
	DBConnMaxLifetime time.Duration
	DBConnectTimeout  time.Duration
	RequestTimeout    time.Duration
	BodyLimitBytes    int

	JWTSecret       string // HS256 key for access tokens; generated and persisted when empty
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration

	CertKeyEncryptionKey string // encrypts certificate private keys; generated and persisted when empty

	AuthIPLimitPerMinute    int
	LoginFailuresPerAccount int
	// DigitalConsentAgeDefault is the age of digital consent in countries
	// the shipped table does not list (accounts.ConsentAges).
	DigitalConsentAgeDefault int

	ReminderInactiveAfter time.Duration
	SMTPURL               string
	SMTPFrom              string

	ReportMinCellSize int
	WorkerConcurrency int
	TrustedProxies    string // comma-separated addresses or CIDRs whose X-Forwarded-For is believed
}

// Names lists every environment variable the program reads; deployment
// manifests are checked against it.
var Names = []string{
	"DATABASE_URL", "REPORTS_DATABASE_URL", "DATABASE_LISTEN_URL", "REDIS_URL", "HTTP_ADDR", "PUBLIC_BASE_URL",
	"MIGRATE_ON_START", "LOG_LEVEL", "DB_MAX_OPEN_CONNS", "DB_MAX_IDLE_CONNS",
	"DB_CONN_MAX_LIFETIME", "DB_CONNECT_TIMEOUT", "REQUEST_TIMEOUT", "BODY_LIMIT_BYTES",
	"JWT_SECRET", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "CERT_KEY_ENCRYPTION_KEY",
	"AUTH_IP_LIMIT_PER_MINUTE", "LOGIN_FAILURES_PER_ACCOUNT", "REMINDER_INACTIVE_AFTER",
	"SMTP_URL", "SMTP_FROM", "REPORT_MIN_CELL_SIZE", "WORKER_CONCURRENCY", "TRUSTED_PROXIES",
	"DIGITAL_CONSENT_AGE_DEFAULT",
}

// Load reads the configuration through getenv and validates it. The error
// names the first bad variable in one line and never includes a secret.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DatabaseURL:              r.str("DATABASE_URL", "postgres://localhost:5432/cybercampus?sslmode=disable"),
		RedisURL:                 r.str("REDIS_URL", "redis://127.0.0.1:6379/0"),
		HTTPAddr:                 r.str("HTTP_ADDR", ":8080"),
		PublicBaseURL:            strings.TrimRight(r.str("PUBLIC_BASE_URL", "http://localhost:8080"), "/"),
		MigrateOnStart:           r.boolean("MIGRATE_ON_START", true),
		LogLevel:                 r.str("LOG_LEVEL", "info"),
		DBMaxOpenConns:           r.integer("DB_MAX_OPEN_CONNS", 20, 1, 1000),
		DBMaxIdleConns:           r.integer("DB_MAX_IDLE_CONNS", 20, 0, 1000), // as many as open: no reconnect churn under load
		DBConnMaxLifetime:        r.duration("DB_CONN_MAX_LIFETIME", 30*time.Minute),
		DBConnectTimeout:         r.duration("DB_CONNECT_TIMEOUT", 5*time.Second),
		RequestTimeout:           r.duration("REQUEST_TIMEOUT", 30*time.Second),
		BodyLimitBytes:           r.integer("BODY_LIMIT_BYTES", 4<<20, 1024, 1<<30),
		JWTSecret:                r.str("JWT_SECRET", ""),
		AccessTokenTTL:           r.duration("ACCESS_TOKEN_TTL", 15*time.Minute),
		RefreshTokenTTL:          r.duration("REFRESH_TOKEN_TTL", 30*24*time.Hour),
		CertKeyEncryptionKey:     r.str("CERT_KEY_ENCRYPTION_KEY", ""),
		AuthIPLimitPerMinute:     r.integer("AUTH_IP_LIMIT_PER_MINUTE", 60, 1, 1_000_000),
		LoginFailuresPerAccount:  r.integer("LOGIN_FAILURES_PER_ACCOUNT", 10, 1, 1_000_000),
		DigitalConsentAgeDefault: r.integer("DIGITAL_CONSENT_AGE_DEFAULT", 13, 0, 21),
		ReminderInactiveAfter:    r.duration("REMINDER_INACTIVE_AFTER", 168*time.Hour),
		SMTPURL:                  r.str("SMTP_URL", ""),
		SMTPFrom:                 r.str("SMTP_FROM", "CyberCampus <no-reply@cybercampus.local>"),
		ReportMinCellSize:        r.integer("REPORT_MIN_CELL_SIZE", 5, 3, 1000),
		WorkerConcurrency:        r.integer("WORKER_CONCURRENCY", 10, 1, 1000),
		TrustedProxies:           r.str("TRUSTED_PROXIES", ""),
	}
	c.ReportsDatabaseURL = r.str("REPORTS_DATABASE_URL", c.DatabaseURL)
	c.ListenDatabaseURL = r.str("DATABASE_LISTEN_URL", c.DatabaseURL)
	if r.err != nil {
		return Config{}, r.err
	}
	return c, c.validate()
}

func (c Config) validate() error {
	for _, v := range []struct{ name, value string }{
		{"DATABASE_URL", c.DatabaseURL}, {"REPORTS_DATABASE_URL", c.ReportsDatabaseURL},
		{"DATABASE_LISTEN_URL", c.ListenDatabaseURL},
	} {
		if err := checkURL(v.value, "postgres", "postgresql"); err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
	}
	if err := checkURL(c.RedisURL, "redis", "rediss"); err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	if err := checkURL(c.PublicBaseURL, "http", "https"); err != nil {
		return fmt.Errorf("PUBLIC_BASE_URL: %w", err)
	}
	if c.SMTPURL != "" {
		if err := checkURL(c.SMTPURL, "smtp", "smtps"); err != nil {
			return fmt.Errorf("SMTP_URL: %w", err)
		}
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("HTTP_ADDR: want host:port such as :8080, got %q", c.HTTPAddr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("HTTP_ADDR: port must be a number from 0 to 65535, got %q", port)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		return fmt.Errorf("JWT_SECRET: must be at least 32 characters")
	}
	if c.CertKeyEncryptionKey != "" && len(c.CertKeyEncryptionKey) < 32 {
		return fmt.Errorf("CERT_KEY_ENCRYPTION_KEY: must be at least 32 characters")
	}
	return nil
}

// checkURL validates a URL's scheme and host without echoing it (it may hold a password).
func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a valid URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" {
				return fmt.Errorf("URL has no host")
			}
			return nil
		}
	}
	return fmt.Errorf("URL scheme must be %s, got %q", strings.Join(schemes, " or "), u.Scheme)
}

type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) fail(name, want, got string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: want %s, got %q", name, want, got)
	}
}

func (r *reader) integer(name string, def, lo, hi int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("a whole number from %d to %d", lo, hi), v)
		return def
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "a positive duration such as 30s, 15m or 168h", v)
		return def
	}
	return d
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "true or false", v)
		return def
	}
	return b
}
