import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { BROWSER_MANGLED_PROPERTIES, BROWSER_PUBLIC_FILES, measureBrowserBundle } from '../../sdk/build.ts'

/**
 * The browser build shortens the property names in `BROWSER_MANGLED_PROPERTIES` (esbuild
 * `mangleProps`), everywhere in the bundle. That is only safe for a name that nothing outside the
 * bundle ever sees: not the public API, not the wire or the cache entry, not a platform object
 * (`Date.now`, `Math.random`, `WebSocket#close`). This test reads every bundled source with the
 * type checker and fails when a mangled name is used anywhere its home is not one of the SDK's
 * own internal declarations, so adding a public `fail` or calling `[].find` in the browser code
 * fails here instead of in an application.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

interface Misuse {
  name: string
  where: string
  why: string
}

/**
 * Files whose declarations may be mangled: the SDK's own sources in the program (type-only
 * modules such as `transport.ts` included) minus the public and wire ones.
 */
function internalFiles(program: ts.Program): Set<string> {
  const publicFiles = new Set(BROWSER_PUBLIC_FILES.map((path) => join(ROOT, path)))
  return new Set(
    program
      .getSourceFiles()
      .map((file) => file.fileName)
      .filter((path) => path.startsWith(join(ROOT, 'sdk') + '/') && !path.includes('/node_modules/') && !publicFiles.has(path)),
  )
}

function misusesOfMangledNames(inputs: string[], names: readonly string[]): Misuse[] {
  const MANGLED = new Set(names)
  const files = inputs.map((path) => join(ROOT, path))
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
  })
  const checker = program.getTypeChecker()
  const internal = internalFiles(program)
  const misuses: Misuse[] = []

  const where = (node: ts.Node) => {
    const file = node.getSourceFile()
    const { line } = file.getLineAndCharacterOfPosition(node.getStart())
    return `${file.fileName.slice(ROOT.length + 1)}:${line + 1}`
  }
  /** Every declaration of `symbol` is an internal one (an unknown home is not). */
  const homeIsInternal = (symbol: ts.Symbol | undefined): boolean => {
    const declarations = symbol?.declarations ?? []
    return declarations.length > 0 && declarations.every((d) => internal.has(d.getSourceFile().fileName))
  }
  /**
   * The property `name` of the type a literal goes to is declared internally only. A union (an
   * optional value, a discriminated event) counts the members that have the property: at least
   * one, and all of them internal. `unknown` and `any` have none (a cache entry, `JSON.stringify`).
   */
  const goesToInternal = (type: ts.Type, name: string): boolean => {
    const members = type.isUnion() ? type.types : [type]
    const properties = members.map((member) => checker.getPropertyOfType(member, name)).filter((p) => p !== undefined)
    return properties.length > 0 && properties.every(homeIsInternal)
  }
  const check = (name: string, node: ts.Node, ok: boolean, why: string) => {
    if (!ok) misuses.push({ name, where: where(node), why })
  }

  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && MANGLED.has(node.text)) checkIdentifier(node)
    if (ts.isStringLiteralLike(node) && MANGLED.has(node.text)) checkString(node)
    ts.forEachChild(node, visit)
  }

  const checkIdentifier = (id: ts.Identifier) => {
    const parent = id.parent
    const name = id.text
    if (ts.isPropertyAccessExpression(parent) && parent.name === id) {
      return check(name, id, homeIsInternal(checker.getSymbolAtLocation(id)), 'property read of a non-internal declaration')
    }
    if (ts.isBindingElement(parent) && (parent.propertyName ?? parent.name) === id && ts.isObjectBindingPattern(parent.parent)) {
      const property = checker.getTypeAtLocation(parent.parent).getProperty(name)
      return check(name, id, homeIsInternal(property), 'destructured from a non-internal type')
    }
    const member =
      ts.isPropertyAssignment(parent) ||
      ts.isShorthandPropertyAssignment(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent)
    if (member && parent.name === id && ts.isObjectLiteralExpression(parent.parent)) {
      // A literal's key is mangled; where the literal goes must expect the mangled name too.
      // A literal with no contextual type (`const entry = { … }`) is its own home.
      const contextual = checker.getContextualType(parent.parent)
      if (contextual === undefined) return
      return check(name, id, goesToInternal(contextual, name), 'object literal key that goes to a non-internal type (or to none)')
    }
    const declaration =
      ts.isPropertySignature(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent)
    if (declaration && parent.name === id) {
      return check(name, id, internal.has(id.getSourceFile().fileName), 'declared in a public or wire file')
    }
  }

  /** esbuild leaves quoted names alone, so a quoted use of a mangled name would miss it. */
  const checkString = (literal: ts.StringLiteralLike) => {
    const parent = literal.parent
    const quotedKey =
      (ts.isElementAccessExpression(parent) && parent.argumentExpression === literal) ||
      (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.InKeyword && parent.left === literal) ||
      ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent)) && parent.name === literal)
    check(literal.text, literal, !quotedKey, 'quoted property name')
  }

  for (const path of files) {
    const source = program.getSourceFile(path)
    if (source === undefined) throw new Error(`not in the program: ${path}`)
    visit(source)
  }
  return misuses
}

describe('browser bundle: mangled property names', () => {
  it('mangles only names whose every use is an internal declaration of the SDK', async () => {
    const { inputs } = await measureBrowserBundle()
    const sources = inputs.map((input) => input.path).filter((path) => path.endsWith('.ts'))
    expect(sources).toContain('sdk/client/client.ts')
    expect(misusesOfMangledNames(sources, BROWSER_MANGLED_PROPERTIES)).toEqual([])
  }, 60_000)

  it('refuses names the platform, the public API, the wire or the cache entry use', async () => {
    const { inputs } = await measureBrowserBundle()
    const sources = inputs.map((input) => input.path).filter((path) => path.endsWith('.ts'))
    // Date.now and Math.random, FlagClient#status, WebSocket#send and #close, the metrics
    // message's batch, StateCache#load, a cache entry's mode, JSON.parse.
    const unsafe = ['now', 'random', 'status', 'send', 'close', 'batch', 'load', 'mode', 'parse']
    const flagged = new Set(misusesOfMangledNames(sources, unsafe).map((misuse) => misuse.name))
    expect([...flagged].sort()).toEqual([...unsafe].sort())
  }, 60_000)
})
