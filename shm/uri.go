package shm

import "strings"

// SHM region URIs (§4.1, validation normative in §15.22):
//
//	shm:file?path=<absolute path>[|require_hugepages=true|false]
//
// Parameters are separated by '|'; only path (required) and require_hugepages are
// defined, and anything else is rejected rather than ignored.
const (
	uriPrefix           = "shm:file?"
	uriParamSeparator   = "|"
	uriKeyPath          = "path"
	uriKeyHugepages     = "require_hugepages"
	uriSection          = "15.22"
	uriSyntaxSection    = "4.1"
	uriHugepagesTrue    = "true"
	uriHugepagesFalse   = "false"
	uriSchemeDisplayMax = 32 // bytes of a rejected URI's scheme quoted in the error
)

// URI is a parsed shm:file region URI.
type URI struct {
	Path             string // absolute path of the backing file
	RequireHugepages bool
}

// ParseURI validates s against §4.1/§15.22 and returns its parts. The two parameters
// may come in either order; each may appear once. Errors are
// *ValidationError naming the parameter and value, unwrapping to an ErrURI* sentinel and
// to ErrInvalidURI.
func ParseURI(s string) (URI, error) {
	params, ok := strings.CutPrefix(s, uriPrefix)
	if !ok {
		return URI{}, invalid(uriSection, "scheme", truncateForError(s), ErrURIScheme)
	}
	var u URI
	var seenPath, seenHugepages bool
	for param := range strings.SplitSeq(params, uriParamSeparator) {
		key, value, hasEquals := strings.Cut(param, "=")
		if !hasEquals || key == "" {
			return URI{}, invalid(uriSyntaxSection, "parameter", param, ErrURIMalformedParam)
		}
		if value == "" {
			return URI{}, invalid(uriSyntaxSection, key, value, ErrURIEmptyValue)
		}
		switch key {
		case uriKeyPath:
			if seenPath {
				return URI{}, invalid(uriSyntaxSection, key, value, ErrURIDuplicateKey)
			}
			seenPath = true
			if err := validateURIPath(value); err != nil {
				return URI{}, err
			}
			u.Path = value
		case uriKeyHugepages:
			if seenHugepages {
				return URI{}, invalid(uriSyntaxSection, key, value, ErrURIDuplicateKey)
			}
			seenHugepages = true
			switch value {
			case uriHugepagesTrue:
				u.RequireHugepages = true
			case uriHugepagesFalse:
			default:
				return URI{}, invalid(uriSyntaxSection, key, value, ErrURIBadBool)
			}
		default:
			return URI{}, invalid(uriSection, key, value, ErrURIUnknownKey)
		}
	}
	if !seenPath {
		return URI{}, invalid(uriSyntaxSection, uriKeyPath, s, ErrURIMissingPath)
	}
	return u, nil
}

// validateURIPath applies the ABNF: abs-path = 1*(VCHAR except "?", "|" and SP), and on
// POSIX an absolute path starts with '/'.
func validateURIPath(p string) error {
	if p[0] != '/' {
		return invalid(uriSyntaxSection, uriKeyPath, p, ErrURIRelativePath)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c > '~' || c == '?' || c == '|' {
			return invalid(uriSyntaxSection, uriKeyPath, p, ErrURIPathCharacter)
		}
	}
	return nil
}

func truncateForError(s string) string {
	if len(s) > uriSchemeDisplayMax {
		return s[:uriSchemeDisplayMax] + "..."
	}
	return s
}

// String renders the canonical form: path first, require_hugepages only when true.
// ParseURI(u.String()) returns u for every u ParseURI produced.
func (u URI) String() string {
	s := uriPrefix + uriKeyPath + "=" + u.Path
	if u.RequireHugepages {
		s += uriParamSeparator + uriKeyHugepages + "=" + uriHugepagesTrue
	}
	return s
}
