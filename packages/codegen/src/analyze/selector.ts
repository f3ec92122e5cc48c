import { Node, SyntaxKind } from 'ts-morph';
import { FunctionValue, type StaticValue } from './static-value';

/** Globals a pure selector may use: they give the same answer for the same input. */
const PURE_GLOBALS = new Set([
  'String',
  'Number',
  'Boolean',
  'Math',
  'JSON',
  'parseInt',
  'parseFloat',
  'undefined',
  'NaN',
  'Infinity',
]);

const FIELD_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

export type SelectorResult =
  | { readonly ok: true; readonly param: string; readonly body: string }
  | { readonly ok: false; readonly reason: string; readonly node?: Node };

/**
 * Checks that a @KeyBy or event-time selector is a field path or a pure arrow
 * function: one plain parameter, an expression body, and no reference to anything
 * but that parameter and a few pure globals. Such a function can be copied into
 * generated code and gives the same key on every instance.
 */
export function readSelector(value: StaticValue): SelectorResult {
  if (typeof value === 'string') {
    if (!FIELD_PATH.test(value)) {
      return {
        ok: false,
        reason: `"${value}" is not a field path (use names separated by dots, like 'user.id')`,
      };
    }
    return { ok: true, param: 'e', body: `e.${value}` };
  }
  if (!(value instanceof FunctionValue)) {
    return {
      ok: false,
      reason: 'expected an arrow function of the element or a field path string',
    };
  }
  const fn = value.node;
  if (!Node.isArrowFunction(fn)) {
    return {
      ok: false,
      reason: 'use an arrow function (e) => ..., not a function expression',
      node: fn,
    };
  }
  const params = fn.getParameters();
  if (params.length !== 1 || !Node.isIdentifier(params[0].getNameNode())) {
    return {
      ok: false,
      reason: 'the arrow function must take exactly one plain parameter (the element)',
      node: fn,
    };
  }
  if (fn.isAsync()) return { ok: false, reason: 'the arrow function must not be async', node: fn };
  const body = fn.getBody();
  if (Node.isBlock(body)) {
    return {
      ok: false,
      reason: 'the arrow function must have an expression body, not a block',
      node: body,
    };
  }
  const param = params[0].getName();
  for (const node of [body, ...body.getDescendants()]) {
    if (node.getKind() === SyntaxKind.ThisKeyword) {
      return { ok: false, reason: "it uses 'this'; a selector may only read its parameter", node };
    }
    if (Node.isNewExpression(node) || Node.isAwaitExpression(node)) {
      return { ok: false, reason: `'${node.getText()}' is not pure`, node };
    }
    if (Node.isBinaryExpression(node) && isAssignment(node.getOperatorToken().getKind())) {
      return {
        ok: false,
        reason: `'${node.getText()}' assigns; a selector must not change anything`,
        node,
      };
    }
    if (
      Node.isPropertyAccessExpression(node) &&
      /^(Math\.random|Date\.now)$/.test(node.getText())
    ) {
      return { ok: false, reason: `'${node.getText()}' gives a different answer each call`, node };
    }
    if (!Node.isIdentifier(node) || isPropertyName(node)) continue;
    const name = node.getText();
    if (name === param || PURE_GLOBALS.has(name)) continue;
    return {
      ok: false,
      reason: `it refers to '${name}', which is not its parameter; a selector may only read the element`,
      node,
    };
  }
  return { ok: true, param, body: body.getText() };
}

function isPropertyName(node: Node): boolean {
  const parent = node.getParent();
  return (
    (!!parent && Node.isPropertyAccessExpression(parent) && parent.getNameNode() === node) ||
    (!!parent && Node.isPropertyAssignment(parent) && parent.getNameNode() === node)
  );
}

function isAssignment(kind: SyntaxKind): boolean {
  return kind >= SyntaxKind.FirstAssignment && kind <= SyntaxKind.LastAssignment;
}

/** `(param: ElementType) => body`, or untyped when the element type is unknown. */
export function selectorText(
  selector: { param: string; body: string },
  elementType: string | undefined,
): string {
  return `(${selector.param}${elementType ? `: ${elementType}` : ''}) => ${selector.body}`;
}
