console.log(JSON.stringify(process.execArgv), process.argv)
