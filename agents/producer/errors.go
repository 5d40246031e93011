package producer

import (
	"errors"
	"fmt"
)

// ErrInvalidConfig is what every *ConfigError unwraps to.
var ErrInvalidConfig = errors.New("producer: invalid configuration")

// ConfigError rejects a layout or configuration value on the control path.
type ConfigError struct {
	Section string // Wire spec section of the rule, "" when it is not a spec rule
	Field   string
	Value   any
	Problem string
}

func (e *ConfigError) Error() string {
	s := fmt.Sprintf("producer: %s = %v: %s", e.Field, e.Value, e.Problem)
	if e.Section != "" {
		s += " (§" + e.Section + ")"
	}
	return s
}

func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

func configError(section, field string, value any, problem string) error {
	return &ConfigError{Section: section, Field: field, Value: value, Problem: problem}
}
