module example.invalid/zoll/go-app

go 1.19

require golang.org/x/text v0.7.0
