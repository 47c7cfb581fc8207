package api

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Limits of the user and group model (DESIGN.md, "The user model").
const (
	MaxUsernameLen       = 64
	MaxEmailLen          = 254
	MaxNameLen           = 250 // first-name, last-name, display-name, friendly-name
	MaxPhoneLen          = 100
	MaxTitleLen          = 128
	MaxDepartmentLen     = 100
	MaxAvatarURLLen      = 255
	MaxExternalLen       = 250 // external-id, external-source
	MaxDescriptionLen    = 1000
	MaxAttributes        = 64
	MaxAttributeValueLen = 2048
	MaxTokenNameLen      = 100
)

var (
	nameRE         = regexp.MustCompile(`^[a-z0-9]([a-z0-9._@-]*[a-z0-9])?$`)
	attributeKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// NormalizeName applies the username and group-name normalisation: Unicode
// NFC, then lower case. Validation runs on the result.
func NormalizeName(s string) string { return strings.ToLower(norm.NFC.String(s)) }

// ValidateUsername normalises s and checks it against the username rules.
// The returned error's pointer is that of the username attribute.
func ValidateUsername(s string) (string, *Error) {
	return validateName(s, "username", CodeInvalidUsername)
}

// ValidateGroupName is ValidateUsername's rule applied to group names.
func ValidateGroupName(s string) (string, *Error) {
	return validateName(s, "name", CodeInvalidGroupName)
}

func validateName(s, attr, code string) (string, *Error) {
	ptr := AttrPointer(attr)
	if s == "" {
		return s, Invalid(CodeRequired, ptr, attr+" is required and must not be empty")
	}
	if e := checkText(attr, s, MaxUsernameLen); e != nil {
		return s, e
	}
	n := NormalizeName(s)
	if !nameRE.MatchString(n) {
		return n, Invalid(code, ptr, fmt.Sprintf(
			"%s %q may contain only lower-case letters a-z, digits 0-9 and . _ @ -, and must start and end with a letter or digit", attr, s))
	}
	return n, nil
}

// ValidateEmail checks that s is one bare addr-spec (name@example.com) of at
// most 254 characters. Case is kept; uniqueness ignores it.
func ValidateEmail(s string) *Error {
	ptr := AttrPointer("email")
	if s == "" {
		return Invalid(CodeRequired, ptr, "email is required and must not be empty")
	}
	if e := checkText("email", s, MaxEmailLen); e != nil {
		return e
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || !strings.Contains(s, "@") {
		return Invalid(CodeInvalidEmail, ptr, fmt.Sprintf(
			"email %q is not a valid address: give one bare address such as jane@example.com, without a display name, spaces or angle brackets", s))
	}
	return nil
}

// NormalizeLocale returns the canonical BCP 47 form of s (en_us -> en-US).
func NormalizeLocale(s string) (string, *Error) {
	if s == "" {
		return "", nil
	}
	ptr := AttrPointer("locale")
	if e := checkText("locale", s, 35); e != nil {
		return s, e
	}
	tag, err := language.Parse(s)
	if err != nil {
		return s, Invalid(CodeInvalidLocale, ptr, fmt.Sprintf(
			"locale %q is not a BCP 47 language tag; use a tag such as en, en-US or de-DE", s))
	}
	return tag.String(), nil
}

// NormalizePhone checks a phone or mobile number. A value that parses as an
// international number (with its leading +) is rewritten to E.164; any other
// value of at most 100 characters is kept as given, since extensions and
// internal numbers are real.
func NormalizePhone(attr, s string) (string, *Error) {
	if s == "" {
		return "", nil
	}
	if e := checkText(attr, s, MaxPhoneLen); e != nil {
		return s, e
	}
	if strings.HasPrefix(strings.TrimSpace(s), "+") {
		if num, err := phonenumbers.Parse(s, "ZZ"); err == nil && phonenumbers.IsValidNumber(num) {
			return phonenumbers.Format(num, phonenumbers.E164), nil
		}
	}
	return s, nil
}

// ValidateAvatarURL checks that s is an absolute http or https URL of at most
// 255 characters.
func ValidateAvatarURL(s string) *Error {
	if s == "" {
		return nil
	}
	if e := checkText("avatar-url", s, MaxAvatarURLLen); e != nil {
		return e
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalid(CodeInvalidURL, AttrPointer("avatar-url"), fmt.Sprintf(
			"avatar-url %q must be an absolute http:// or https:// URL", s))
	}
	return nil
}

// ValidateAttributes checks the free-form attributes map: at most 64 keys,
// keys matching ^[a-z][a-z0-9_]{0,63}$, values of at most 2048 characters.
func ValidateAttributes(m map[string]string) Errors {
	var errs Errors
	ptr := AttrPointer("attributes")
	if len(m) > MaxAttributes {
		errs = append(errs, Invalid(CodeTooManyAttributes, ptr, fmt.Sprintf(
			"attributes has %d keys; at most %d are allowed", len(m), MaxAttributes)))
	}
	for k, v := range m {
		if !attributeKeyRE.MatchString(k) {
			errs = append(errs, Invalid(CodeInvalidAttributeKey, ptr+"/"+pointerEscape(k), fmt.Sprintf(
				"attribute key %q must start with a lower-case letter and contain only a-z, 0-9 and _, at most 64 characters", k)))
			continue
		}
		if e := checkTextAt(ptr+"/"+k, "attribute "+k, v, MaxAttributeValueLen); e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

// ValidateText checks an optional free-text attribute against its maximum
// length in characters. It is exported for the provider's plan-time checks.
func ValidateText(attr, s string, max int) *Error { return checkText(attr, s, max) }

// ValidateID checks a client-proposed resource id and returns its canonical
// lower-case form.
func ValidateID(s string) (string, *Error) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return s, &Error{Status: "422", Code: CodeInvalidID, Title: "Invalid id",
			Detail: fmt.Sprintf("id %q is not a UUID such as 2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71", truncate(s, 80)),
			Source: &ErrorSource{Pointer: "/data/id"}}
	}
	return u.String(), nil
}

func checkText(attr, s string, max int) *Error {
	return checkTextAt(AttrPointer(attr), attr, s, max)
}

func checkTextAt(ptr, what, s string, max int) *Error {
	if !utf8.ValidString(s) {
		return Invalid(CodeInvalidValue, ptr, what+" is not valid UTF-8")
	}
	if strings.ContainsRune(s, 0) {
		return Invalid(CodeInvalidValue, ptr, what+" must not contain NUL characters")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Invalid(CodeTooLong, ptr, fmt.Sprintf("%s is %d characters long; at most %d are allowed", what, n, max))
	}
	return nil
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
