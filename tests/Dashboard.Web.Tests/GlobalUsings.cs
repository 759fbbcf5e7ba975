global using JobQueue.Testing;
global using Microsoft.Playwright;
global using NUnit.Framework;
global using static Microsoft.Playwright.Assertions;

// One system and one browser for the assembly (BrowserSession); the tests share them, one at a time.
[assembly: NonParallelizable]
[assembly: LevelOfParallelism(1)]
