// Package nlu understands citizens' messages to the 1022 hotline: it tells
// the intent (a greeting, a new report, a question about a procedure, a
// follow-up on a case, a request for a person, an emergency, or something
// out of scope) and, for reports and questions, the public-service
// category; and it extracts ticket codes, phone numbers, e-mails, dates and
// times, an address and the communes or wards of a caller-supplied
// gazetteer.
//
// Text is normalised first (NFC, lower case, teen-code and acronyms
// expanded, letter runs squeezed) and read in two forms, with and without
// diacritics, so messages typed without a Vietnamese keyboard work as well
// as accented ones.
//
// The classifier is an ensemble of spago networks: a bag of word, word
// n-gram, edge and character n-gram features, embeddings averaged per kind
// (word-level and character n-grams apart) and two softmax heads, each
// network trained with spago's Adam from its own seed on a dataset
// generated from the templates in data/templates and calibrated by
// temperature scaling; their scaled scores are averaged, which folds into
// one table of per-feature scores (ensemble.go). Default returns the
// model shipped in model/default.nlu.gz, or trains it when that file is
// missing or stale. Results carry calibrated scores and a Confident flag
// that says when a person should take over.
//
// Importing the package switches spago to synchronous execution of its
// operators (ag.SetForceSyncExecution): for a model this small that is
// faster, and it makes training repeatable.
//
// RunCLI implements the `ioc1022 chatbot` subcommands. docs/chatbot.md has
// the measured figures.
package nlu
