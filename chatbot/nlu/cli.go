package nlu

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// RunCLI runs the `chatbot` subcommands of the ioc1022 binary; args start
// after "chatbot":
//
//	train [--seed N] [--members K] [--out FILE]
//	                                       train on the embedded dataset, write the model
//	classify [--model FILE] [--units FILE] TEXT
//	                                       print intent, category, scores and entities as JSON
//	eval --data FILE.tsv [--model FILE]    print per-label tables; the last line is JSON
//	cv [--folds K] [--seed N] [--members K]
//	                                       K-fold cross-validation on the embedded dataset
//	data                                   print the generated training set as TSV
//
// Without --model, classify and eval use Default(). --units reads a
// gazetteer, one unit a line: code<TAB>name<TAB>alias|alias.
func RunCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return RunCLIWithUnits(ctx, args, stdout, stderr, nil)
}

// RunCLIWithUnits is RunCLI with the wards and communes classify matches when
// no --units file is given.
func RunCLIWithUnits(ctx context.Context, args []string, stdout, stderr io.Writer, units []Unit) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: chatbot train|classify|eval|cv|data [flags]")
		return fmt.Errorf("%w: missing subcommand", ErrUsage)
	}
	switch args[0] {
	case "train":
		return cliTrain(ctx, args[1:], stdout, stderr)
	case "classify":
		return cliClassify(args[1:], stdout, stderr, units)
	case "eval":
		return cliEval(args[1:], stdout, stderr)
	case "cv":
		return cliCrossValidate(args[1:], stdout, stderr)
	case "data":
		data, err := TrainingSet()
		if err != nil {
			return err
		}
		return WriteTSV(stdout, data)
	}
	return fmt.Errorf("%w: unknown subcommand %q", ErrUsage, args[0])
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("chatbot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return nil
}

func cliTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	seed := fs.Uint64("seed", DefaultSeed, "random seed; the same seed gives the same model")
	members := fs.Int("members", 0, "networks to average (0: the default)")
	out := fs.String("out", "nlu-model.gz", "model file to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	data, err := TrainingSet()
	if err != nil {
		return err
	}
	opts := DefaultOptions()
	opts.Seed, opts.Members = *seed, *members
	opts.Progress = func(member, epoch int, loss float64) {
		fmt.Fprintf(stderr, "member %d epoch %d: loss %.4f\n", member+1, epoch, loss)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, rep, err := Train(data, opts)
	if err != nil {
		return err
	}
	if err := saveFile(m, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained on %d examples (%d calibration) in %s; vocabulary %d; temperatures %.3f/%.3f; wrote %s\n",
		rep.TrainExamples, rep.CalibrationExamples, rep.Duration.Round(time.Millisecond), rep.Vocabulary,
		rep.IntentTemperature, rep.CategoryTemperature, *out)
	return nil
}

func saveFile(m *Model, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	if err := m.Save(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// modelFlag loads --model, or Default() when it is empty.
func modelFlag(path string) (*Model, error) {
	if path == "" {
		return Default()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	defer f.Close()
	return Load(f)
}

// classifyOutput is what `chatbot classify` prints.
type classifyOutput struct {
	Result
	Entities Entities `json:"entities"`
}

func cliClassify(args []string, stdout, stderr io.Writer, units []Unit) error {
	fs := newFlagSet("classify", stderr)
	modelPath := fs.String("model", "", "model file (default: the embedded model)")
	unitsPath := fs.String("units", "", "gazetteer TSV: code<TAB>name<TAB>alias|alias (default: the demo province's wards and communes)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: classify needs the text to classify", ErrUsage)
	}
	if *unitsPath != "" {
		var err error
		if units, err = readUnitsFile(*unitsPath); err != nil {
			return err
		}
	}
	m, err := modelFlag(*modelPath)
	if err != nil {
		return err
	}
	out := classifyOutput{Result: m.Classify(text), Entities: Extract(text, time.Now(), units)}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func readUnitsFile(path string) ([]Unit, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read units: %w", err)
	}
	var units []Unit
	for n, line := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(f) < 2 {
			return nil, fmt.Errorf("read units: line %d: want code<TAB>name[<TAB>aliases]", n+1)
		}
		u := Unit{Code: f[0], Name: f[1]}
		if len(f) > 2 && f[2] != "" {
			u.Aliases = strings.Split(f[2], "|")
		}
		units = append(units, u)
	}
	return units, nil
}

func cliEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	dataPath := fs.String("data", "", "examples to score, intent<TAB>category<TAB>text")
	modelPath := fs.String("model", "", "model file (default: the embedded model)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dataPath == "" {
		return fmt.Errorf("%w: eval needs --data FILE.tsv", ErrUsage)
	}
	f, err := os.Open(*dataPath)
	if err != nil {
		return fmt.Errorf("open data: %w", err)
	}
	data, err := ReadEvalTSV(f)
	f.Close()
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return fmt.Errorf("eval %s: %w", *dataPath, ErrNoData)
	}
	m, err := modelFlag(*modelPath)
	if err != nil {
		return err
	}
	return Evaluate(m, data).WriteText(stdout)
}

func cliCrossValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("cv", stderr)
	folds := fs.Int("folds", 5, "number of folds")
	seed := fs.Uint64("seed", DefaultSeed, "random seed")
	members := fs.Int("members", 0, "networks to average in each fold's model (0: the default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	data, err := TrainingSet()
	if err != nil {
		return err
	}
	opts := DefaultOptions()
	opts.Seed, opts.Members = *seed, *members
	rep, err := CrossValidate(data, *folds, opts)
	if err != nil {
		return err
	}
	return rep.WriteText(stdout)
}
