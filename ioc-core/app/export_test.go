package app

import "io"

// PrintBanner writes the start banner, as `ioc1022 serve` does once it listens.
func (a *App) PrintBanner(w io.Writer) { a.printBanner(w) }
