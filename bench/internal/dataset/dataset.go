// Package dataset describes the users the benchmark seeds, as pure
// functions of their index, so that the seeding program and the load tool
// agree on which ids, usernames and names exist without sharing a file.
package dataset

import (
	"fmt"
	"strings"
)

// firstNames and lastNames are combined to name the seeded users. With 64
// of each, a three-letter prefix of a name matches about 1/64 of the users,
// which is what a search box typically narrows to.
var firstNames = strings.Fields(`aaron abigail adam alice amelia andrew anna arthur ben bianca
carla charles chloe daniel david diana edward elena emma eric fatima felix fiona george
grace hannah harry helen ian isabel jack jane james julia kate kevin laura leo lucy
maria mark mia nathan nina oliver olivia omar paul peter quinn rachel robert sara
simon sophie thomas uma victor wendy xavier yusuf zoe`)

var lastNames = strings.Fields(`adams baker brown campbell carter clark collins cook
davis edwards evans fischer garcia green hall harris hill hughes jackson james johnson
jones kelly king lee lewis lopez martin meyer miller mitchell moore morgan murphy nguyen
parker patel phillips price roberts robinson rodriguez rossi schmidt scott smith stewart
taylor thomas thompson turner walker ward watson white williams wilson wood wright young
zhang`)

// ID returns the id of user i: a fixed, valid UUID, so that the load tool
// can pick any seeded user at random without listing them first.
func ID(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(i), i)
}

// FirstName returns the first name of user i.
func FirstName(i int) string { return firstNames[i%len(firstNames)] }

// LastName returns the last name of user i.
func LastName(i int) string { return lastNames[(i/len(firstNames))%len(lastNames)] }

// Username returns the username of user i, such as "alice.smith.42".
func Username(i int) string { return fmt.Sprintf("%s.%s.%d", FirstName(i), LastName(i), i) }

// Email returns the email address of user i.
func Email(i int) string { return Username(i) + "@example.com" }

// ExternalID returns the externalId of user i, the key an HR system or
// Okta matches on (the SCIM benchmark's externalId eq lookups).
func ExternalID(i int) string { return fmt.Sprintf("hr-%08d", i) }

// SearchTerm returns the n-th filter[q] prefix the load tool sends: the
// first three letters of a first or a last name, or a username down to
// its last name, so that searches hit every indexed column.
func SearchTerm(n int) string {
	switch n % 3 {
	case 0:
		return firstNames[n%len(firstNames)][:3]
	case 1:
		return lastNames[n%len(lastNames)][:3]
	default:
		return firstNames[n%len(firstNames)] + "." + lastNames[(n/3)%len(lastNames)]
	}
}
