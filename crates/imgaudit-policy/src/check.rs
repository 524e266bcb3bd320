//! A static check of every function call in the loaded modules: the function must exist (a
//! user function, reached directly, through its package or through an import, or a builtin
//! compiled into regorus) and take that many arguments (or one more: Rego's output argument).
//!
//! regorus reports an unknown function only when evaluation reaches the call, and with
//! `strict_builtin_errors` off a builtin called with the wrong number of arguments silently
//! yields undefined: this check finds both at load time, in branches no test reaches.
//!
//! It walks regorus's AST (`regorus::unstable`), pinned with the regorus version.

use std::collections::HashMap;

use regorus::unstable::{BUILTINS, Expr, Literal, Module, Query, Ref, Rule, RuleHead};
use regorus::utils::{gather_functions, get_path_string};

use crate::error::Problem;

/// Every unknown function or wrong argument count in `modules`.
pub(crate) fn check_calls(modules: &[Ref<Module>]) -> Vec<Problem> {
    let mut problems = Vec::new();
    // Full path (`data.imgaudit.lib.pip.normalize`) -> number of arguments.
    let mut functions: HashMap<String, usize> = match gather_functions(modules) {
        Ok(table) => table
            .iter()
            .map(|(path, (_, arity, _))| (path.clone(), usize::from(*arity)))
            .collect(),
        Err(error) => {
            problems.push(crate::set::regorus_problem("policies", &error.to_string()));
            return problems;
        }
    };
    for module in modules {
        let Ok(package) = get_path_string(&module.package.refr, Some("data")) else {
            continue;
        };
        for rule in &module.policy {
            if let Rule::Default { refr, args, .. } = rule.as_ref() {
                if !args.is_empty() {
                    if let Ok(path) = get_path_string(refr, Some(&package)) {
                        functions.entry(path).or_insert(args.len());
                    }
                }
            }
        }
    }

    for module in modules {
        let Ok(package) = get_path_string(&module.package.refr, Some("data")) else {
            continue;
        };
        let imports: Vec<(String, String)> = module
            .imports
            .iter()
            .filter_map(|import| {
                let target = get_path_string(&import.refr, None).ok()?;
                if !target.starts_with("data.") {
                    return None;
                }
                let alias = match &import.r#as {
                    Some(alias) => alias.text().to_owned(),
                    None => target.rsplit('.').next()?.to_owned(),
                };
                Some((alias, target))
            })
            .collect();
        let context = Context {
            package: &package,
            imports: &imports,
            functions: &functions,
        };
        let mut visit = |expr: &Expr| {
            if let Some(problem) = context.check(expr) {
                problems.push(problem);
            }
        };
        for rule in &module.policy {
            walk_rule(rule, &mut visit);
        }
    }
    problems
}

struct Context<'a> {
    package: &'a str,
    imports: &'a [(String, String)],
    functions: &'a HashMap<String, usize>,
}

impl Context<'_> {
    fn check(&self, expr: &Expr) -> Option<Problem> {
        let Expr::Call {
            span, fcn, params, ..
        } = expr
        else {
            return None;
        };
        let name = get_path_string(fcn, None).ok()?;
        if name == "print" {
            return None;
        }
        let mut candidates = Vec::new();
        if name.starts_with("data.") {
            candidates.push(name.clone());
        } else {
            candidates.push(format!("{}.{name}", self.package));
            let (head, rest) = name
                .split_once('.')
                .map_or((name.as_str(), ""), |(h, r)| (h, r));
            for (alias, target) in self.imports {
                if alias == head {
                    candidates.push(if rest.is_empty() {
                        target.clone()
                    } else {
                        format!("{target}.{rest}")
                    });
                }
            }
        }
        let arity = candidates
            .iter()
            .find_map(|path| self.functions.get(path).copied())
            .or_else(|| BUILTINS.get(name.as_str()).map(|(_, n)| usize::from(*n)));
        let problem = |message: String| {
            Some(Problem::new(
                span.source.file(),
                usize::try_from(span.line).ok(),
                message,
            ))
        };
        match arity {
            None => problem(format!(
                "unknown function `{name}` (neither a builtin of this build nor a function of the loaded policies)"
            )),
            Some(arity) if params.len() != arity && params.len() != arity + 1 => problem(format!(
                "`{name}` takes {arity} argument{}, called with {}",
                if arity == 1 { "" } else { "s" },
                params.len()
            )),
            Some(_) => None,
        }
    }
}

fn walk_rule(rule: &Rule, visit: &mut impl FnMut(&Expr)) {
    match rule {
        Rule::Spec { head, bodies, .. } => {
            match head {
                RuleHead::Compr { refr, assign, .. } => {
                    walk_expr(refr, visit);
                    if let Some(assign) = assign {
                        walk_expr(&assign.value, visit);
                    }
                }
                RuleHead::Set { refr, key, .. } => {
                    walk_expr(refr, visit);
                    if let Some(key) = key {
                        walk_expr(key, visit);
                    }
                }
                RuleHead::Func {
                    refr, args, assign, ..
                } => {
                    walk_expr(refr, visit);
                    for arg in args {
                        walk_expr(arg, visit);
                    }
                    if let Some(assign) = assign {
                        walk_expr(&assign.value, visit);
                    }
                }
            }
            for body in bodies {
                if let Some(assign) = &body.assign {
                    walk_expr(&assign.value, visit);
                }
                walk_query(&body.query, visit);
            }
        }
        Rule::Default { value, .. } => walk_expr(value, visit),
    }
}

fn walk_query(query: &Query, visit: &mut impl FnMut(&Expr)) {
    for stmt in &query.stmts {
        match &stmt.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(key) = key {
                    walk_expr(key, visit);
                }
                walk_expr(value, visit);
                walk_expr(collection, visit);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => walk_expr(expr, visit),
            Literal::Every { domain, query, .. } => {
                walk_expr(domain, visit);
                walk_query(query, visit);
            }
        }
        for modifier in &stmt.with_mods {
            walk_expr(&modifier.r#as, visit);
        }
    }
}

fn walk_expr(expr: &Expr, visit: &mut impl FnMut(&Expr)) {
    visit(expr);
    match expr {
        Expr::Array { items, .. } | Expr::Set { items, .. } => {
            for item in items {
                walk_expr(item, visit);
            }
        }
        Expr::Object { fields, .. } => {
            for (_, key, value) in fields {
                walk_expr(key, visit);
                walk_expr(value, visit);
            }
        }
        Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
            walk_expr(term, visit);
            walk_query(query, visit);
        }
        Expr::ObjectCompr {
            key, value, query, ..
        } => {
            walk_expr(key, visit);
            walk_expr(value, visit);
            walk_query(query, visit);
        }
        Expr::Call { params, .. } => {
            for param in params {
                walk_expr(param, visit);
            }
        }
        Expr::UnaryExpr { expr, .. } => walk_expr(expr, visit),
        Expr::RefDot { refr, .. } => walk_expr(refr, visit),
        Expr::RefBrack { refr, index, .. } => {
            walk_expr(refr, visit);
            walk_expr(index, visit);
        }
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => {
            walk_expr(lhs, visit);
            walk_expr(rhs, visit);
        }
        Expr::Membership {
            key,
            value,
            collection,
            ..
        } => {
            if let Some(key) = key {
                walk_expr(key, visit);
            }
            walk_expr(value, visit);
            walk_expr(collection, visit);
        }
        _ => {}
    }
}
