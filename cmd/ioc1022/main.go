// Command ioc1022 runs the hotline and IOC backend; see the README.
package main

import (
	"os"

	"github.com/ioc1022/ioc1022/ioc-core/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], modules()...))
}
