package config

// Error reports a configuration problem with the dotted key it concerns
// (for example "profiles.camera.header_nslots"). Key is empty only when the
// file cannot be attributed to a key, such as a TOML syntax error before the
// first key.
type Error struct {
	Key     string
	Problem string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return "config: " + e.Problem
	}
	return "config: " + e.Key + ": " + e.Problem
}

func errorf(key, problem string) *Error { return &Error{Key: key, Problem: problem} }
