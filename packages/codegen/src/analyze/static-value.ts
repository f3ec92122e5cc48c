import { Node, SyntaxKind, type ClassDeclaration } from 'ts-morph';

/** A function written in a decorator argument; kept as syntax for the selector checks. */
export class FunctionValue {
  constructor(readonly node: Node) {}
}

/** A class named in a decorator argument (`stages: [ParsePlays]`), resolved through imports. */
export class ClassValue {
  constructor(
    readonly node: Node,
    readonly declaration: ClassDeclaration,
  ) {}
}

export type StaticValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | FunctionValue
  | ClassValue
  | StaticValue[]
  | { [key: string]: StaticValue };

/** A static value as a diagnostic quotes it. */
export function describeStatic(value: StaticValue): string {
  if (value instanceof FunctionValue) return 'a function';
  if (value instanceof ClassValue) return `class ${value.declaration.getName() ?? ''}`;
  return String(JSON.stringify(value));
}

/** Thrown (and turned into SG1001) where a decorator argument cannot be read without running code. */
export class NotStatic extends Error {
  constructor(readonly node: Node) {
    super(`"${node.getText().slice(0, 60)}" is not a static value`);
  }
}

/**
 * Evaluates a decorator argument from syntax alone: literals, arrays, object
 * literals, `as const`, arithmetic on numbers, and identifiers bound to a `const`
 * with such an initializer. Functions come back as {@link FunctionValue}.
 */
export function staticValue(node: Node): StaticValue {
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node))
    return node.getLiteralValue();
  if (Node.isNumericLiteral(node)) return node.getLiteralValue();
  if (Node.isTrueLiteral(node)) return true;
  if (Node.isFalseLiteral(node)) return false;
  if (Node.isNullLiteral(node)) return null;
  if (
    Node.isAsExpression(node) ||
    Node.isParenthesizedExpression(node) ||
    Node.isSatisfiesExpression(node)
  ) {
    return staticValue(node.getExpression());
  }
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.MinusToken) {
    const v = staticValue(node.getOperand());
    if (typeof v === 'number') return -v;
  }
  if (Node.isBinaryExpression(node)) {
    const [l, r] = [staticValue(node.getLeft()), staticValue(node.getRight())];
    if (typeof l === 'number' && typeof r === 'number') {
      switch (node.getOperatorToken().getKind()) {
        case SyntaxKind.PlusToken:
          return l + r;
        case SyntaxKind.MinusToken:
          return l - r;
        case SyntaxKind.AsteriskToken:
          return l * r;
        case SyntaxKind.SlashToken:
          return l / r;
      }
    }
  }
  if (Node.isArrayLiteralExpression(node)) return node.getElements().map(staticValue);
  if (Node.isObjectLiteralExpression(node)) {
    const out: { [key: string]: StaticValue } = {};
    for (const prop of node.getProperties()) {
      if (!Node.isPropertyAssignment(prop)) throw new NotStatic(prop);
      const nameNode = prop.getNameNode();
      const name = Node.isStringLiteral(nameNode) ? nameNode.getLiteralValue() : nameNode.getText();
      out[name] = staticValue(prop.getInitializerOrThrow());
    }
    return out;
  }
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) return new FunctionValue(node);
  if (Node.isIdentifier(node)) {
    if (node.getText() === 'undefined') return undefined;
    const symbol = node.getSymbol();
    const declaration = (symbol?.getAliasedSymbol() ?? symbol)?.getDeclarations()[0];
    if (declaration && Node.isClassDeclaration(declaration))
      return new ClassValue(node, declaration);
    if (declaration && Node.isVariableDeclaration(declaration)) {
      const list = declaration.getVariableStatement();
      const initializer = declaration.getInitializer();
      if (list?.getDeclarationKind() === 'const' && initializer) return staticValue(initializer);
    }
  }
  throw new NotStatic(node);
}
