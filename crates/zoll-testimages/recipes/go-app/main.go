// Demo binary of the zoll debian-full test image. It imports golang.org/x/text (vendored from
// Debian's golang-golang-x-text-dev at build time) so that its build info lists a real module.
package main

import (
	"fmt"
	"os"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

func main() {
	name := "zoll test image"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	fmt.Println(cases.Title(language.English).String(name))
}
